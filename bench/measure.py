"""Figures read back from the LinkedIn simulator: when each key landed, and what each request carried."""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import httpx

CANDIDATE_PATH = "/v2/atsCandidates"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def candidate_count(http: httpx.AsyncClient) -> int:
    state = (await http.get("/_sim/state")).json()
    return int(state["counts"]["atsCandidates"])


async def wait_for_count(http: httpx.AsyncClient, expected: int, within: float) -> bool:
    """Poll the simulator (gently) until it stores `expected` candidates; False on timeout."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await candidate_count(http) >= expected:
            return True
        await asyncio.sleep(0.5)
    return False


async def landed_at(http: httpx.AsyncClient) -> dict[str, int]:
    """Candidate id → when the simulator first stored it (epoch ms, its clock is this machine's)."""
    records = (await http.get("/_sim/records/atsCandidates", timeout=120)).json()["elements"]
    return {
        element["fields"]["atsCandidateId"]: min(entry["at"] for entry in element["history"])
        for element in records
        if element["history"]
    }


def _entities(entry: dict[str, Any]) -> int:
    """Records in one logged request: the batch body's `entities`, tunnelled (multipart) or not."""
    content_type = entry["headers"].get("content-type", "")
    body: str = entry["body"]
    parts = [body]
    if content_type.startswith("multipart/"):
        boundary = content_type.split("boundary=", 1)[1].strip('"')
        parts = [part.split("\r\n\r\n", 1)[-1] for part in body.split(f"--{boundary}")]
    for part in parts:
        try:
            document = json.loads(part)
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("entities"), dict):
            return len(document["entities"])
    return 0


@dataclass(frozen=True)
class Requests:
    total: int
    throttled: int
    over_100: int
    max_in_window: int
    records_read: int  # candidates read back (batch GETs), which spend the same budget as the writes


def _is_read(entry: dict[str, Any]) -> bool:
    override = entry["headers"].get("x-http-method-override", "")
    return bool(entry["method"] == "GET" or override.upper() == "GET")


def _keys_read(entry: dict[str, Any]) -> int:
    """Candidates one batch GET names (in its query, or in its body when tunnelled)."""
    return f"{entry.get('query', '')}{entry['body']}".count("atsCandidateId")


async def candidate_requests(http: httpx.AsyncClient, window_ms: int = 60_000) -> Requests:
    """Candidate requests the simulator logged: 429s among all, batches over 100, most records written in
    any window (reads of candidates spend the same budget but are not records sent)."""
    log = (await http.get("/_sim/requests", params={"pathPrefix": CANDIDATE_PATH}, timeout=120)).json()
    every = log["elements"]
    writes = [entry for entry in every if entry["method"] in {"PUT", "POST"}]
    accepted = sorted((entry["at"], _entities(entry)) for entry in writes if entry["status"] < 300)
    best = running = start = 0
    for at, records in accepted:  # sliding window over arrival times: (at - window, at]
        running += records
        while accepted[start][0] <= at - window_ms:
            running -= accepted[start][1]
            start += 1
        best = max(best, running)
    return Requests(
        total=len(every),
        throttled=sum(entry["status"] == 429 for entry in every),
        over_100=sum(_entities(entry) > 100 for entry in writes),
        max_in_window=best,
        records_read=sum(_keys_read(entry) for entry in every if entry["status"] < 300 and _is_read(entry)),
    )
