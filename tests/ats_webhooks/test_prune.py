"""The inbox keeps webhook ids for the retention window (7 days by default), then the prune job drops them."""

from __future__ import annotations

from sqlalchemy import select

from rsc_service import scheduler
from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.bootstrap import build
from rsc_service.context import AppContext
from tests.factories import Ats, candidate


class TestPruneInbox:
    async def test_ids_older_than_the_retention_are_pruned_and_newer_kept(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        old = ats.event("candidate.created", candidate())
        await ats.post(old)
        ats.clock.advance(days=6)
        await ats.send("candidate.updated", candidate(version=2))
        ats.clock.advance(days=1, seconds=1)

        await scheduler.prune_inbox(build(ctx))

        async with ctx.sessionmaker() as session:
            kept = (await session.scalars(select(AtsWebhookEvent.record_version))).all()
        assert kept == [2]

    async def test_a_redelivery_within_the_window_is_still_a_duplicate(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        event = ats.event("candidate.created", candidate())
        await ats.post(event)
        ats.clock.advance(days=6, hours=23)
        await scheduler.prune_inbox(build(ctx))

        again = await ats.post(event, at=ats.clock())
        assert again.json()["status"] == "duplicate"
