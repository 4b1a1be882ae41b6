"""Issue 6's flow: 1,000 candidates from the fake ATS, 10% of deliveries duplicated and 5% reordered,
leave exactly one current mirror row and one outbox row per record."""

from __future__ import annotations

from sqlalchemy import func, select

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.context import AppContext
from rsc_service.mirror.models import AtsRecord
from rsc_service.outbox.models import OutboxMessage
from rsc_service.simulators.ats import seed
from rsc_service.simulators.ats.webhooks import Faults
from tests.flows.conftest import FakeAts


class TestIngestFromTheFakeAts:
    async def test_duplicated_and_reordered_deliveries_leave_one_current_row_each(
        self, fake_ats: FakeAts, ctx: AppContext
    ) -> None:
        seed.generate(
            fake_ats.world, candidates=1000, jobs=10, users=5, applications=0, notes=0, interviews=0
        )
        fake_ats.webhooks.set_faults(Faults(duplicate=0.10, reorder=0.05, reorder_seconds=0.01, seed=6))
        fake_ats.world.announce()
        for candidate in list(fake_ats.world.stores["candidate"].live())[:100]:  # a second version of some
            fake_ats.world.update("candidate", candidate["id"], {"current_title": "Staff Engineer"})
        await fake_ats.flush()

        async with ctx.sessionmaker() as session:
            mirror = (await session.execute(select(AtsRecord.ats_id, AtsRecord.version, AtsRecord.data)
                                            .where(AtsRecord.kind == "candidate"))).all()  # fmt: skip
            owed = (
                await session.scalars(
                    select(OutboxMessage.key).where(OutboxMessage.resource == "atsCandidates")
                )
            ).all()
            inbox = await session.scalar(select(func.count()).select_from(AtsWebhookEvent))
        ats_candidates = {c["id"]: c for c in fake_ats.world.stores["candidate"].live()}

        assert len(mirror) == len(ats_candidates) == 1000
        assert sorted(owed) == sorted(ats_candidates)  # one outbox row per record, no more
        for ats_id, version, data in mirror:  # the current version, whatever the arrival order
            assert version == ats_candidates[ats_id]["version"]
            assert data["current_title"] == ats_candidates[ats_id]["current_title"]
        events = 5 + 10 + 1000 + 100  # users, jobs, candidates, second versions
        assert inbox == events  # every distinct event stored once: the duplicates stopped at the inbox
        assert len(fake_ats.webhooks.deliveries) > events  # and duplicates were indeed delivered
