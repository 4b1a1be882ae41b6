"""A row of a resource this release does not know (a newer release owed it, then was rolled back) is a dead
letter at once, saying so, while the rest of its claim lands; replayed after an upgrade, it is sent."""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI
from sqlalchemy import insert

from rsc_service import bootstrap
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import wire as li
from rsc_service.outbox import dead_letters
from rsc_service.outbox.dispatcher import Dispatcher, DispatchSettings
from rsc_service.outbox.models import OutboxMessage
from rsc_service.outbox.ops import Intent
from rsc_service.push.fields import PushContext, Source
from rsc_service.push.registry import RESOURCES
from rsc_service.tenants import service as tenant_service
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate
from tests.flows.conftest import drain, linkedin_world, outbox_rows
from tests.flows.test_declared_resource import MANUAL_MATCHES
from tests.outbox import fakes

ORG = "urn:li:organization:1001"
MEMBER = "urn:li:person:m1005"


def _builds_nothing(source: Source, ctx: PushContext) -> list[Intent]:
    return []


# What the newer release declared: the manual match of a candidate, as its own partial update.
RETIRED = replace(MANUAL_MATCHES, name="atsRetiredResource", build=_builds_nothing)


class TestAnUnknownResource:
    async def test_is_a_dead_letter_at_once_and_the_rest_of_the_claim_lands(
        self, ats: Ats, dispatcher: Dispatcher, ctx_li: AppContext, clock: FrozenClock, linkedin_sim: FastAPI
    ) -> None:
        for ats_id in ("cand_1", "cand_2", "cand_3"):
            await ats.send("candidate.created", candidate(ats_id))
        async with ctx_li.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            await session.execute(
                insert(OutboxMessage),
                fakes.row(
                    tenant.id,
                    "atsRetiredResource",
                    "cand_1",
                    clock(),
                    depends_on=["atsCandidates:cand_1"],
                    payload=li.PartialUpdate.setting({"manualMatchedMember": MEMBER}).to_wire(),
                ),
            )

        counts = await dispatcher.drain_once()  # one claim holds all four
        rows = await outbox_rows(ctx_li)

        retired = rows[("atsRetiredResource", "cand_1")]
        assert (retired.state, retired.lease_token) == ("dead", None)
        assert retired.last_error is not None
        assert retired.last_error.startswith("atsRetiredResource is not a resource this release knows")
        assert {key: row.state for key, row in rows.items() if key[0] == "atsCandidates"} == {
            ("atsCandidates", "cand_1"): "done",
            ("atsCandidates", "cand_2"): "done",
            ("atsCandidates", "cand_3"): "done",
        }
        assert (counts.sent, counts.dead) == (3, 1)
        world = linkedin_world(linkedin_sim)
        for ats_id in ("cand_1", "cand_2", "cand_3"):
            assert world.collection("atsCandidates").where(atsCandidateId=ats_id, integrationContext=ORG)

        # A release that knows the resource again: replayed, the dead letter is sent.
        upgraded = bootstrap.build(
            ctx_li, resources=RESOURCES.with_(RETIRED), dispatch=DispatchSettings(concurrency=1)
        )

        async def keep_payload(session: object, row: OutboxMessage) -> None:
            return None

        async with ctx_li.sessionmaker.begin() as session:
            replayed = await dead_letters.replay(
                session,
                tenant_id=tenant.id,
                ids=[retired.id],
                replay_all=False,
                rebuild=keep_payload,
                now=clock(),
            )
        await drain(upgraded.dispatcher, clock)

        assert replayed.replayed == [retired.id]
        assert (await outbox_rows(ctx_li))[("atsRetiredResource", "cand_1")].state == "done"
        [(_, stored)] = world.collection("atsCandidates").where(
            atsCandidateId="cand_1", integrationContext=ORG
        )
        assert stored["manualMatchedMember"] == MEMBER
