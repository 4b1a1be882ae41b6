"""`rsc-service demo`: both simulators beside the service, the seeded ATS landing in LinkedIn, a change."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from rsc_service.demo import demo_change, run_demo
from tests.processes import free_port


def _ports() -> dict[str, int]:
    return {"port": free_port(), "linkedin_port": free_port(), "ats_port": free_port()}


async def _endless_header(port: int) -> bytes:
    """Send a header that never ends, 64 KiB at a time up to 8 MiB, reading alongside; what the server
    answered by the time it ended the connection (nothing, if it read on to the end)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    received: list[bytes] = []

    async def read() -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                received.append(chunk)

    reading = asyncio.create_task(read())
    with contextlib.suppress(ConnectionError):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Endless: ")
        for _ in range(128):
            if reading.done():
                break
            writer.write(b"v" * 65536)
            await writer.drain()
    writer.close()
    await asyncio.wait_for(reading, timeout=10)
    return b"".join(received)


class TestDemo:
    async def test_once_lands_every_seeded_record_and_exits_zero(self, tmp_path: Path) -> None:
        lines: list[str] = []
        database = tmp_path / "demo.db"

        code = await run_demo(**_ports(), database=database, once=True, out=lines.append)

        assert code == 0, "\n".join(lines)
        engine = create_engine(f"sqlite:///{database}")
        with engine.connect() as connection:
            states = dict(
                connection.execute(text("SELECT state, count(*) FROM outbox_messages GROUP BY state")).all()
            )
            resources = {
                row[0]
                for row in connection.execute(text("SELECT DISTINCT resource FROM outbox_messages")).all()
            }
        engine.dispose()
        assert set(states) == {"done"}, states
        assert {"simpleJobPostings", "atsCandidates", "atsApplications"} <= resources
        assert any(r.endswith("/notes") for r in resources), resources
        assert any("/_sim/docs" in line for line in lines)

    async def test_live_change_reaches_linkedin_while_the_demo_runs(self, tmp_path: Path) -> None:
        ports = _ports()
        lines: list[str] = []
        demo = asyncio.create_task(
            run_demo(**ports, database=tmp_path / "demo.db", once=False, out=lines.append)
        )
        try:
            async with asyncio.timeout(60):
                while not any("everything the ATS holds" in line for line in lines):
                    assert not demo.done(), "\n".join(lines)
                    await asyncio.sleep(0.1)
            sim = f"http://127.0.0.1:{ports['linkedin_port']}"
            async with httpx.AsyncClient(base_url=sim) as linkedin:
                counts = (await linkedin.get("/_sim/state")).json()["counts"]
                assert counts["simpleJobPostings"] > 0 and counts["atsApplications"] > 0, counts
                assert counts["atsCandidates"] > 0 and counts["candidateNotes"] > 0, counts

                said: list[str] = []
                assert await demo_change(**ports, out=said.append) == 0, said

                titles = [
                    element["record"].get("currentJobTitle") or ""
                    for element in (await linkedin.get("/_sim/records/atsCandidates")).json()["elements"]
                ]
            assert any(title.startswith("Principal Engineer (") for title in titles)
            assert any("in LinkedIn after" in line for line in said), said
            answer = await _endless_header(ports["port"])
            assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        finally:
            demo.cancel()
            assert await demo == 0
        assert lines[-1] == "stopping"
