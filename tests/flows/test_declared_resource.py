"""A LinkedIn resource is one declaration and its payload function: declared here, and pushed through the
real webhook route, outbox and dispatcher to the LinkedIn simulator like the service's own."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from rsc_service import bootstrap
from rsc_service.app import create_app
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import wire as li
from rsc_service.links import service as link_service
from rsc_service.links.models import LinkSource
from rsc_service.outbox.dispatcher import DispatchSettings
from rsc_service.outbox.ops import Intent, Op
from rsc_service.push import sending
from rsc_service.push.candidates import CANDIDATES, candidate_key
from rsc_service.push.fields import PushContext, Source
from rsc_service.push.registry import RESOURCES
from rsc_service.push.resource import Resource
from rsc_service.tenants import service as tenant_service
from tests.conftest import FrozenClock
from tests.factories import Ats, candidate
from tests.flows.conftest import drain, linkedin_world, outbox_rows

ORG = "urn:li:organization:1001"
MEMBER = "urn:li:person:m1005"


def match_patch(member: str) -> li.PartialUpdate:
    """The payload function: only the manual match, as a partial update."""
    return li.PartialUpdate.setting({"manualMatchedMember": member})


def manual_matches(source: Source, ctx: PushContext) -> list[Intent]:
    member = ctx.manual_matched_member
    if source.deleted or member is None:
        return []
    return [
        MANUAL_MATCHES.intent(
            source.id, Op.UPSERT, lambda: match_patch(member), depends_on=(CANDIDATES.ref(source.id),)
        )
    ]


MANUAL_MATCHES = Resource(
    name="atsCandidates/manualMatch",
    tier=2,
    kind="candidate",
    build=manual_matches,
    send=sending.partial_update(
        candidate_key, lambda key: key.ats_candidate_id, lambda app: app.patch_candidates
    ),
)


class TestADeclaredResource:
    async def test_is_owed_by_its_records_and_sent_by_the_real_dispatcher(
        self, ats: Ats, ctx_li: AppContext, clock: FrozenClock, linkedin_sim: FastAPI
    ) -> None:
        service = bootstrap.build(
            ctx_li,
            resources=RESOURCES.with_(MANUAL_MATCHES),
            dispatch=DispatchSettings(concurrency=1),
        )
        transport = httpx.ASGITransport(app=create_app(ctx_li.settings, service=service))
        async with httpx.AsyncClient(transport=transport, base_url="http://rsc.test") as client:
            sender = Ats(client=client, clock=clock, tenant_key=ats.tenant_key, secret=ats.secret)
            async with ctx_li.sessionmaker.begin() as session:
                tenant = await tenant_service.get_by_key(session, ats.tenant_key)
                await link_service.set_link(
                    session,
                    tenant_id=tenant.id,
                    ats_candidate_id="cand_1",
                    member_urn=MEMBER,
                    source=LinkSource.MANUAL,
                    now=clock(),
                )

            assert (await sender.send("candidate.created", candidate())).status_code == 202
            await drain(service.dispatcher, clock)

        rows = await outbox_rows(ctx_li)
        assert rows[("atsCandidates/manualMatch", "cand_1")].state == "done"
        assert rows[("atsCandidates/manualMatch", "cand_1")].payload == {
            "patch": {"$set": {"manualMatchedMember": MEMBER}}
        }
        candidates = linkedin_world(linkedin_sim).collection("atsCandidates")
        [(key, stored)] = candidates.where(atsCandidateId="cand_1", integrationContext=ORG)
        assert stored["manualMatchedMember"] == MEMBER
        # Its parent first (a full PUT), then the declared resource's own call on the same record.
        assert [entry.op for entry in candidates.history[key]] == ["batch_update", "batch_partial_update"]
