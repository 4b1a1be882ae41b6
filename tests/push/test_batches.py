"""apply_ats_changes(): a batch leaves the mirror and the outbox exactly as its changes one by one do.

Random histories over a few related records (jobs, candidates, their applications with changing stage
histories, notes on both), delivered in any order and with deletions, are applied to one tenant one change at
a time and to another tenant as a single batch; the two tenants' rows must be the same.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.integrations.ats.events import WebhookEvent, parse_event
from rsc_service.mirror.changes import from_event
from rsc_service.mirror.models import AtsRecord
from rsc_service.outbox.models import OutboxMessage
from rsc_service.push import service as push_service
from rsc_service.tenants.models import Tenant
from tests.factories import application, candidate, job, make_tenant, note, tombstone

STAGES = ["Applied", "Phone screen", "Onsite", "Offer"]
PARENTS = {
    "app_1": {"candidate_id": "cand_1", "job_id": "job_1"},
    "app_2": {"candidate_id": "cand_2", "job_id": "job_1"},
    "app_3": {"candidate_id": "cand_1", "job_id": "job_2"},
    "note_1": {"candidate_id": "cand_1"},
    "note_2": {"candidate_id": "cand_2", "application_id": "app_2"},
}
KINDS = {
    "job": ["job_1", "job_2"],
    "candidate": ["cand_1", "cand_2"],
    "application": ["app_1", "app_2", "app_3"],
}
KINDS["note"] = ["note_1", "note_2"]
BUILDERS = {"job": job, "candidate": candidate, "application": application, "note": note}
BASE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@st.composite
def changes(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    ats_id = draw(st.sampled_from(KINDS[kind]))
    version = draw(st.integers(1, 4))
    minute = draw(st.integers(0, 30))
    parents = PARENTS.get(ats_id, {})
    if draw(st.integers(0, 4)) == 0:
        data = tombstone(kind, ats_id, version, **parents)
        event_type = f"{kind}.deleted"
    else:
        fields: dict[str, Any] = dict(parents)
        fields["updated_at"] = (BASE + timedelta(minutes=minute)).isoformat()
        if kind == "application":
            entered = draw(st.lists(st.sampled_from(STAGES), min_size=1, max_size=3, unique=True))
            fields["stage_history"] = [
                {"stage": stage, "entered_at": (BASE + timedelta(hours=n)).isoformat()}
                for n, stage in enumerate(entered)
            ]
        else:
            fields[{"job": "title", "candidate": "current_title", "note": "body"}[kind]] = f"v{version}"
        data = BUILDERS[kind](ats_id, version, **fields)
        event_type = f"{kind}.{draw(st.sampled_from(['created', 'updated']))}"
    return {
        "type": event_type,
        "id": f"evt_{uuid.uuid4().hex}",
        "occurred_at": fields_time(minute),
        "data": data,
    }


def fields_time(minute: int) -> str:
    return (BASE + timedelta(minutes=minute)).isoformat()


async def _state(ctx: AppContext, tenant_id: uuid.UUID) -> tuple[list[Any], list[Any]]:
    async with ctx.sessionmaker() as session:
        records = (await session.scalars(select(AtsRecord).where(AtsRecord.tenant_id == tenant_id))).all()
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id))
        ).all()
    mirror = sorted(
        (
            r.kind,
            r.ats_id,
            r.version,
            r.deleted,
            r.candidate_id,
            r.job_id,
            r.application_id,
            json.dumps(r.data),
        )
        for r in records
    )
    outbox = sorted(
        (m.resource, m.key, str(m.op), json.dumps(m.payload), m.path_parent, tuple(m.depends_on), m.revision)
        for m in rows
    )
    return mirror, outbox


class TestBatchesEqualOneByOne:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(history=st.lists(changes(), min_size=1, max_size=25))
    async def test_a_batch_leaves_what_one_by_one_leaves(
        self, ctx: AppContext, history: list[dict[str, Any]]
    ) -> None:
        events: list[WebhookEvent] = [parse_event(json.dumps(event)) for event in history]
        async with ctx.sessionmaker.begin() as session:
            alone: Tenant = (await make_tenant(session, ctx)).tenant
            batched: Tenant = (await make_tenant(session, ctx)).tenant
        now = ctx.clock()

        async with ctx.sessionmaker.begin() as session:
            one_by_one = [
                (await push_service.apply_ats_changes(session, [(alone, from_event(event))], now=now))[0]
                for event in events
            ]
        async with ctx.sessionmaker.begin() as session:
            together = await push_service.apply_ats_changes(
                session, [(batched, from_event(e)) for e in events], now=now
            )

        assert [r is None for r in together] == [r is None for r in one_by_one]
        assert await _state(ctx, batched.id) == await _state(ctx, alone.id)
