"""A dispatcher over two made-up resources, parents before children, for tests of the outbox alone."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import insert

from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInApp
from rsc_service.outbox import repository
from rsc_service.outbox.dispatcher import Counts, Dispatcher, DispatchSettings
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Op, State
from rsc_service.outbox.sending import Item, Send, Sent, Target
from rsc_service.tenants.apps import TenantApp
from tests.conftest import FrozenClock
from tests.factories import make_tenant


class ParentsAndChildren:
    """Two resources, parents sent before children; LinkedIn takes every key."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def knows(self, resource: str) -> bool:
        return resource in ("parents", "children")

    def tier(self, resource: str) -> int:
        return {"parents": 0, "children": 1}[resource]

    def parent_in_url(self, resource: str) -> bool:
        return True

    def sender(self, resource: str) -> Send:
        async def send(target: Target, items: Sequence[Item]) -> Sent:
            self.sent += [(resource, key) for key, _ in items]
            return Sent(ok={key: None for key, _ in items})

        return send


def dispatcher(
    ctx: AppContext,
    clock: FrozenClock,
    routes: ParentsAndChildren,
    *,
    on_batch: Callable[[str, Counts], None] | None = None,
) -> Dispatcher:
    async def app_for(tenant_id: uuid.UUID) -> TenantApp:
        return TenantApp(cast(LinkedInApp, None), "urn:li:organization:1")  # the fake senders use neither

    async def now() -> datetime:
        return clock()

    return Dispatcher(
        ctx.sessionmaker,
        routes=routes,
        app_for=app_for,
        now=now,
        settings=DispatchSettings(concurrency=1),
        on_batch=on_batch,
    )


def row(tenant_id: uuid.UUID, resource: str, key: str, now: datetime, **values: Any) -> dict[str, Any]:
    """The columns of a due outbox row, for an INSERT."""
    return {
        "tenant_id": tenant_id,
        "resource": resource,
        "key": key,
        "path_parent": None,
        "depends_on": [],
        "op": Op.UPSERT,
        "payload": {"name": key},
        "revision": 1,
        "source_version": 1,
        "state": State.PENDING,
        "task_ids": [],
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
        **values,
    }


async def owing(ctx: AppContext, clock: FrozenClock, rows: Sequence[tuple[str, str, list[str]]]) -> uuid.UUID:
    """A new tenant owing `rows` ((resource, key, what it depends on)), all due now; its id."""
    async with ctx.sessionmaker.begin() as session:
        tenant = (await make_tenant(session, ctx)).tenant
        await session.execute(
            insert(OutboxMessage),
            [row(tenant.id, resource, key, clock(), depends_on=deps) for resource, key, deps in rows],
        )
    return tenant.id


async def messages(ctx: AppContext, tenant_id: uuid.UUID) -> dict[str, OutboxMessage]:
    """The tenant's outbox rows by key, as stored now."""
    async with ctx.sessionmaker() as session:
        return {
            message.key: message for message in await repository.list_messages(session, tenant_id=tenant_id)
        }
