"""What the benchmarks send: signed candidate webhooks, an outbox backlog, and the naive drain loop."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rsc_service.context import linkedin_client, outbound_http
from rsc_service.integrations.ats import signatures
from rsc_service.integrations.linkedin import AppCredentials
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.outbox.sending import Target
from rsc_service.push.candidates import CANDIDATES
from rsc_service.push.fields import PushContext
from rsc_service.push.registry import RESOURCES
from rsc_service.settings import load_settings

from .rig import ORGANIZATION


def candidate(ats_id: str) -> dict[str, Any]:
    """A candidate as the ATS contract describes it (unique name and e-mail per id)."""
    return {
        "kind": "candidate",
        "id": ats_id,
        "version": 1,
        "created_at": "2026-11-01T09:00:00Z",
        "updated_at": "2026-11-20T09:00:00Z",
        "first_name": "Bench",
        "last_name": ats_id,
        "emails": [{"address": f"{ats_id}@bench.example", "type": "work"}],
        "phones": [],
        "current_company": "Acme Robotics",
        "current_title": "Engineer",
    }


@dataclass(frozen=True)
class Sent:
    """One webhook as its sender saw it: the status answered, when it left and when the answer came."""

    status: int
    sent_at: float
    answered_at: float


class WebhookSender:
    """Posts `candidate.created` events to the service, signed with the tenant's secret."""

    def __init__(self, http: httpx.AsyncClient, service_url: str, tenant_key: str, secret: str) -> None:
        self._http = http
        self._url = f"{service_url}/v1/webhooks/ats/{tenant_key}"
        self._secret = secret

    async def send(self, ats_id: str) -> Sent:
        event_id = f"evt_{uuid.uuid4().hex}"
        body = json.dumps(
            {
                "type": "candidate.created",
                "id": event_id,
                "occurred_at": datetime.now(UTC).isoformat(),
                "data": candidate(ats_id),
            }
        ).encode()
        headers = signatures.sign(body, self._secret, event_id, datetime.now(UTC))
        sent_at = time.time()
        try:
            response = await self._http.post(
                self._url, content=body, headers={"content-type": "application/json", **headers}
            )
        except httpx.HTTPError:
            return Sent(0, sent_at, time.time())  # no answer: counted as refused
        return Sent(response.status_code, sent_at, time.time())


def _row(tenant_id: uuid.UUID, ats_id: str, now: datetime) -> dict[str, Any]:
    [intent] = RESOURCES.intents_for(
        "candidate", candidate(ats_id), deleted=False, ctx=PushContext(ORGANIZATION)
    )
    return {
        "tenant_id": tenant_id,
        "resource": intent.resource,
        "key": intent.key,
        "path_parent": None,
        "depends_on": [],
        "op": Op.UPSERT,
        "payload": intent.payload,
        "revision": 1,
        "source_version": 1,
        "state": State.PENDING,
        "task_ids": [],
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def fill_backlog(
    sessionmaker: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, ids: list[str]
) -> float:
    """Owe LinkedIn one candidate per id, all committed at once; returns the commit time (epoch seconds)."""
    now = datetime.now(UTC)
    rows = [_row(tenant_id, ats_id, now) for ats_id in ids]
    async with sessionmaker.begin() as session:
        # On PostgreSQL the outbox's insert trigger sends the dispatchers' NOTIFY.
        for start in range(0, len(rows), 2000):
            await session.execute(insert(OutboxMessage), rows[start : start + 2000])
    return time.time()


@dataclass(frozen=True)
class NaiveRun:
    """What one naive drain did: records landed, wall seconds, and this process's CPU seconds meanwhile."""

    in_flight: int
    records: int
    seconds: float
    cpu_seconds: float

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


async def naive_drain(engine: AsyncEngine, tenant_id: uuid.UUID, api_url: str, *, in_flight: int) -> NaiveRun:
    """The baseline: read the tenant's pending rows 100 at a time by id (keyset: `id > last`, so a page never
    re-reads rows still being sent), one batch PUT per page with up to `in_flight` pages sent at once, then
    mark the page's rows done; one connection, no sleeps.

    Uses the service's own HTTP settings, LinkedIn client and candidate sender. It runs in this process, so
    its CPU time is this process's (`time.process_time`, every thread: the SQLite driver's too).
    """
    settings = load_settings(linkedin={"api_url": api_url, "oauth_url": f"{api_url}/oauth/v2"})
    sent = 0
    refused = 0
    async with outbound_http(settings) as http, engine.connect() as connection:
        client = linkedin_client(settings, http)
        assert client is not None
        target = Target(
            client.for_app(AppCredentials(client_id="sim-customer", client_secret="sim-customer-secret")),
            ORGANIZATION,
            None,
        )
        send = CANDIDATES.send
        database = asyncio.Lock()  # the one connection takes one statement at a time
        slots = asyncio.Semaphore(in_flight)
        sending: set[asyncio.Task[None]] = set()

        async def page(rows: Sequence[Row[Any]]) -> None:
            nonlocal sent, refused
            try:
                result = await send(target, [(row.key, row.payload) for row in rows])
                done = [row.id for row in rows if row.key in result.ok]
                async with database:
                    await connection.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id.in_(done))
                        .values(state=State.DONE, landed_at=datetime.now(UTC))
                    )
                    await connection.commit()
                sent += len(done)
                refused += len(rows) - len(done)
            finally:
                slots.release()

        cpu, started = time.process_time(), time.perf_counter()
        last = 0
        while True:
            async with database:
                rows = (
                    await connection.execute(
                        select(OutboxMessage.id, OutboxMessage.key, OutboxMessage.payload)
                        .where(
                            OutboxMessage.tenant_id == tenant_id,
                            OutboxMessage.state == State.PENDING,
                            OutboxMessage.id > last,
                        )
                        .order_by(OutboxMessage.id)
                        .limit(100)
                    )
                ).all()
                await connection.commit()
            if not rows:
                break
            last = rows[-1].id
            await slots.acquire()
            task = asyncio.create_task(page(rows))
            sending.add(task)
            task.add_done_callback(sending.discard)
        await asyncio.gather(*sending)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if refused:
        raise RuntimeError(f"naive loop: LinkedIn refused {refused} records")
    return NaiveRun(in_flight, sent, seconds, cpu)
