"""The outbox counters follow the rows' transitions wherever the dispatcher makes them. An operator alerts
on `rsc_outbox_dead_total` ("Outbox rows that became dead letters") when dead letters grow, and
`rsc_outbox_sent_total` counts the rows LinkedIn accepted (docs/architecture.md#20-operations): a job its
task refused or accepted, a row made a dead letter by a dead parent or by giving up on one never received,
the rows of a batch that settled though others were taken over, a row that landed while its newer revision
was refused as built."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import update

from rsc_service import bootstrap
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import BatchResult, Category, EntityError, LinkedInApp
from rsc_service.integrations.linkedin import wire as li
from rsc_service.outbox.dispatcher import Dispatcher, DispatchSettings
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import State
from rsc_service.outbox.sending import Item, Send, Sent, Target
from rsc_service.tenants.apps import TenantApp
from rsc_service.web import metrics
from tests.conftest import FrozenClock
from tests.outbox.fakes import ParentsAndChildren, messages, owing


class _Tasks:
    """LinkedIn's task reads: every task in `status`."""

    def __init__(self, status: str) -> None:
        self.status = status

    async def get_job_tasks(self, task_ids: Sequence[str]) -> BatchResult[str, Any]:
        task = li.SimpleJobPostingTask.model_validate(
            {"status": self.status, "errorMessage": "companyApplyUrl is not a valid URL"}
            if self.status == "FAILED"
            else {"status": self.status}
        )
        return BatchResult(ok=dict.fromkeys(task_ids, task))


def _dispatcher(
    ctx: AppContext,
    clock: FrozenClock,
    routes: ParentsAndChildren,
    *,
    tasks: str = "SUCCEEDED",
    per_tenant: int = 1000,
) -> Dispatcher:
    async def app_for(tenant_id: uuid.UUID) -> TenantApp:
        return TenantApp(cast(LinkedInApp, _Tasks(tasks)), "urn:li:organization:1")

    async def now() -> datetime:
        return clock()

    return Dispatcher(
        ctx.sessionmaker,
        routes=routes,
        app_for=app_for,
        now=now,
        settings=DispatchSettings(concurrency=1, per_tenant=per_tenant),
        on_batch=bootstrap._count_batch,  # the metrics the service wires in
    )


def _counted(resource: str) -> tuple[float, float, float]:
    """(sent, retried, dead) counted so far for `resource`."""
    sent, retried, dead = (
        float(counter.labels(resource)._value.get())
        for counter in (metrics.OUTBOX_SENT, metrics.OUTBOX_RETRIED, metrics.OUTBOX_DEAD)
    )
    return sent, retried, dead


def _since(before: tuple[float, float, float], resource: str) -> tuple[float, float, float]:
    after = _counted(resource)
    return (after[0] - before[0], after[1] - before[1], after[2] - before[2])


async def _awaiting_task(ctx: AppContext, clock: FrozenClock, tenant_id: uuid.UUID) -> None:
    """The tenant's rows were posted: each one's task is due to be asked after."""
    async with ctx.sessionmaker.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant_id)
            .values(
                state=State.AWAITING_TASK,
                task_ids=["urn:li:simpleJobPostingTask:1"],
                sent_revision=1,
                attempts=1,
                task_started_at=clock(),
            )
        )


async def test_a_job_refused_by_its_task_is_counted_as_a_dead_letter(
    ctx: AppContext, clock: FrozenClock
) -> None:
    tenant_id = await owing(ctx, clock, [("parents", "job-1", [])])
    await _awaiting_task(ctx, clock, tenant_id)
    before = _counted("parents")

    await _dispatcher(ctx, clock, ParentsAndChildren(), tasks="FAILED").drain_once()

    assert (await messages(ctx, tenant_id))["job-1"].state is State.DEAD
    assert _since(before, "parents") == (0, 0, 1)


async def test_a_job_its_task_accepted_is_counted_as_sent(ctx: AppContext, clock: FrozenClock) -> None:
    tenant_id = await owing(ctx, clock, [("parents", "job-1", [])])
    await _awaiting_task(ctx, clock, tenant_id)
    before = _counted("parents")

    await _dispatcher(ctx, clock, ParentsAndChildren(), tasks="SUCCEEDED").drain_once()

    assert (await messages(ctx, tenant_id))["job-1"].state is State.DONE
    assert _since(before, "parents") == (1, 0, 0)


async def test_a_row_blocked_by_a_dead_parent_is_counted_as_a_dead_letter(
    ctx: AppContext, clock: FrozenClock
) -> None:
    tenant_id = await owing(ctx, clock, [("parents", "p", []), ("children", "c", ["parents:p"])])
    async with ctx.sessionmaker.begin() as session:  # LinkedIn refused the parent
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant_id, OutboxMessage.key == "p")
            .values(state=State.DEAD, last_error="422 refused")
        )
    before = _counted("children")

    counts = await _dispatcher(ctx, clock, ParentsAndChildren()).drain_once()

    child = (await messages(ctx, tenant_id))["c"]
    assert (child.state, child.blocked_by) == (State.DEAD, "parents:p")
    assert (counts.dead, counts.waiting) == (1, 0)
    assert _since(before, "children") == (0, 0, 1)


async def test_a_row_that_gave_up_on_a_parent_never_received_is_counted_as_a_dead_letter(
    ctx: AppContext, clock: FrozenClock
) -> None:
    tenant_id = await owing(ctx, clock, [("children", "c", ["parents:never-sent"])])
    async with ctx.sessionmaker.begin() as session:  # it has waited for its parent for a day already
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant_id)
            .values(failing_since=clock() - timedelta(hours=25))
        )
    before = _counted("children")

    counts = await _dispatcher(ctx, clock, ParentsAndChildren()).drain_once()

    child = (await messages(ctx, tenant_id))["c"]
    assert (child.state, child.blocked_by) == (State.DEAD, "parents:never-sent")
    assert (counts.dead, counts.waiting) == (1, 0)
    assert _since(before, "children") == (0, 0, 1)


class _TakenOverMidSend(ParentsAndChildren):
    """LinkedIn takes every key, but so slowly the first batch's lease runs out: meanwhile `replica` takes
    one of its rows over and sends it."""

    def __init__(self, clock: FrozenClock) -> None:
        super().__init__()
        self.clock = clock
        self.replica: Dispatcher | None = None

    def sender(self, resource: str) -> Send:
        async def send(target: Target, items: Sequence[Item]) -> Sent:
            self.sent += [(resource, key) for key, _ in items]
            if self.replica is not None:
                replica, self.replica = self.replica, None
                self.clock.advance(seconds=125)
                await replica.drain_once()
            return Sent(ok={key: None for key, _ in items})

        return send


async def test_the_rows_of_a_batch_that_settled_are_counted_though_others_were_taken_over(
    ctx: AppContext, clock: FrozenClock
) -> None:
    tenant_id = await owing(ctx, clock, [("parents", "p1", []), ("parents", "p2", [])])
    routes = _TakenOverMidSend(clock)
    routes.replica = _dispatcher(ctx, clock, ParentsAndChildren(), per_tenant=1)  # one row a claim
    before = _counted("parents")

    counts = await _dispatcher(ctx, clock, routes).drain_once()

    stored = await messages(ctx, tenant_id)
    assert {key: message.state for key, message in stored.items()} == {"p1": State.DONE, "p2": State.DONE}
    assert counts.sent == 1  # one of the two settled for this replica, the other for the one that took it
    assert _since(before, "parents") == (2, 0, 0)


class _OneRefused(ParentsAndChildren):
    """LinkedIn takes "p1" and fails "p2" for now; meanwhile the ATS changed "p1" into a record that cannot be
    built (its newer revision was refused as built)."""

    def __init__(self, ctx: AppContext, tenant_id: uuid.UUID) -> None:
        super().__init__()
        self.ctx, self.tenant_id = ctx, tenant_id

    def sender(self, resource: str) -> Send:
        async def send(target: Target, items: Sequence[Item]) -> Sent:
            async with self.ctx.sessionmaker.begin() as session:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.tenant_id == self.tenant_id, OutboxMessage.key == "p1")
                    .values(revision=2, payload=None, refused="name: a required field is missing")
                )
            error = EntityError(status=500, category=Category.RETRIABLE, message="try again")
            return Sent(ok={"p1": None}, errors={"p2": error})

        return send


async def test_a_row_that_landed_while_its_newer_revision_was_refused_is_counted_as_a_dead_letter(
    ctx: AppContext, clock: FrozenClock
) -> None:
    tenant_id = await owing(ctx, clock, [("parents", "p1", []), ("parents", "p2", [])])
    before = _counted("parents")

    await _dispatcher(ctx, clock, _OneRefused(ctx, tenant_id)).drain_once()

    stored = await messages(ctx, tenant_id)
    assert (stored["p1"].state, stored["p1"].landed_at) == (State.DEAD, clock())
    assert stored["p2"].state is State.PENDING
    assert _since(before, "parents") == (1, 1, 1)  # p1 landed, then was a dead letter; p2 goes again
