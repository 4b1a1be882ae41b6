"""S1-S3 through both simulators: the fake ATS's records arrive by its signed webhooks, LinkedIn's email
match is read back from the LinkedIn simulator, and LinkedIn's side then asks our In-ATS routes over httpx."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from rsc_service import bootstrap
from rsc_service.app import create_app
from rsc_service.candidates import service as candidate_service
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.links.models import CandidateLink
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.settings import Settings
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.factories import Ats
from tests.flows.conftest import FakeAts, drain, seed_every_kind

ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
DAN = "urn:li:person:m1004"  # the LinkedIn simulator's member with Dan's email
NOBODY = "urn:li:person:m9999"


async def _credential(client: httpx.AsyncClient, tenant_key: str) -> str:
    response = await client.get(f"/v1/admin/tenants/{tenant_key}/in-ats/credential", headers=ADMIN)
    assert response.status_code == 200, response.text
    credential: str = response.json()["credential"]
    return credential


def _bearer(credential: str) -> dict[str, str]:
    return {"authorization": f"Bearer {credential}"}


class Linked:
    def __init__(self, seeded: dict[str, dict[str, Any]], credential: str, tenant_key: str) -> None:
        self.seeded = seeded
        self.credential = credential
        self.tenant_key = tenant_key

    def path(self, rest: str) -> str:
        return f"/v1/in-ats/{self.tenant_key}{rest}"


@pytest.fixture
async def linked(
    fake_ats: FakeAts,
    ats: Ats,
    dispatcher: Dispatcher,
    ctx_li: AppContext,
    clock: FrozenClock,
    client: httpx.AsyncClient,
) -> Linked:
    """Every kind of record seeded in the fake ATS, pushed to LinkedIn, and Dan's email match read back."""
    world = fake_ats.world
    seeded = await seed_every_kind(fake_ats)
    world.update("application", seeded["application"]["id"], {"stage": "Phone screen"}, by=None)
    seeded["restricted_note"] = world.create(
        "note",
        {
            "candidate_id": seeded["candidate"]["id"],
            "body": "Said on LinkedIn he is open to move.",
            "author_name": "Alice Recruiter",
            "visibility": {"linkedin_contract": "urn:li:contract:2001"},
        },
    )
    seeded["secret_job"] = world.create(
        "job", {"title": "Chief Robot Officer (confidential search)", "restricted": True}
    )
    seeded["secret_application"] = world.create(
        "application", {"candidate_id": seeded["candidate"]["id"], "job_id": seeded["secret_job"]["id"]}
    )
    seeded["from_linkedin"] = world.create(
        "note",
        {
            "candidate_id": seeded["candidate"]["id"],
            "body": "Recruiter note copied from LinkedIn: asked about relocation.",
            "author_name": "Bob Sourcer",
            "external_id": "li-note-77",
        },
    )
    await fake_ats.flush()
    await drain(dispatcher, clock)
    read = await candidate_service.read_back_matches(
        ctx_li.sessionmaker, bootstrap.tenant_apps(ctx_li), now=ctx_li.db_now
    )
    assert read == 1
    async with ctx_li.sessionmaker() as session:
        link = await session.scalar(select(CandidateLink))
    assert link is not None and link.member_urn == DAN
    return Linked(seeded, await _credential(client, ats.tenant_key), ats.tenant_key)


class TestPastApplicants:
    async def test_a_search_page_learns_which_members_are_in_the_ats(
        self, linked: Linked, client: httpx.AsyncClient
    ) -> None:
        members = [NOBODY, DAN, "urn:li:person:m1005"]
        response = await client.get(
            linked.path("/past-applicants"),
            params=[("member", m) for m in members],
            headers=_bearer(linked.credential),
        )

        assert response.status_code == 200, response.text
        assert response.json() == {
            "count": 1,
            "members": [{"member_urn": DAN, "candidate_ids": [linked.seeded["candidate"]["id"]]}],
        }

    async def test_more_than_a_page_is_refused_naming_the_parameter(
        self, linked: Linked, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            linked.path("/past-applicants"),
            params=[("member", f"urn:li:person:m{n}") for n in range(101)],
            headers=_bearer(linked.credential),
        )

        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == ["query.member"]


class TestIndicator:
    async def test_a_linked_member_is_in_the_ats(self, linked: Linked, client: httpx.AsyncClient) -> None:
        response = await client.get(
            linked.path(f"/members/{DAN}/indicator"), headers=_bearer(linked.credential)
        )

        assert response.status_code == 200, response.text
        assert response.json() == {
            "member_urn": DAN,
            "in_ats": True,
            "candidate_ids": [linked.seeded["candidate"]["id"]],
        }

    async def test_an_unknown_member_is_404(self, linked: Linked, client: httpx.AsyncClient) -> None:
        for route in ("indicator", "preview"):
            response = await client.get(
                linked.path(f"/members/{NOBODY}/{route}"), headers=_bearer(linked.credential)
            )
            assert response.status_code == 404
            assert response.json()["code"] == "member_not_found"

    async def test_a_deleted_candidate_is_no_longer_in_the_ats(
        self, linked: Linked, client: httpx.AsyncClient, fake_ats: FakeAts
    ) -> None:
        fake_ats.world.delete("candidate", linked.seeded["candidate"]["id"])
        await fake_ats.flush()

        response = await client.get(
            linked.path(f"/members/{DAN}/indicator"), headers=_bearer(linked.credential)
        )

        assert response.status_code == 404


class TestPreview:
    async def test_the_preview_shows_what_the_lightboxes_need(
        self, linked: Linked, client: httpx.AsyncClient
    ) -> None:
        put = await client.put(
            f"/v1/admin/tenants/{linked.tenant_key}/in-ats",
            json={"candidate_url_template": "https://acme.ats.example/people/{candidate_id}?tab=profile"},
            headers=ADMIN,
        )
        assert put.status_code == 200, put.text

        response = await client.get(
            linked.path(f"/members/{DAN}/preview"), headers=_bearer(linked.credential)
        )

        assert response.status_code == 200, response.text
        seeded = linked.seeded
        body = response.json()
        assert body["member_urn"] == DAN
        (candidate,) = body["candidates"]
        assert candidate["id"] == seeded["candidate"]["id"]
        assert candidate["name"] == "Dan Candidate"
        assert (candidate["current_title"], candidate["current_company"]) == ("Engineer", "Parcel Bots")
        assert candidate["record_url"] == (
            f"https://acme.ats.example/people/{seeded['candidate']['id']}?tab=profile"
        )
        assert (candidate["has_notes"], candidate["has_interviews"]) == (True, True)
        applications = {a["id"]: a for a in candidate["applications"]}
        assert set(applications) == {seeded["application"]["id"], seeded["secret_application"]["id"]}
        application = applications[seeded["application"]["id"]]
        assert application["job"] == {
            "id": seeded["job"]["id"],
            "title": "Robotics Engineer",
            "status": "open",
            "restricted": False,
        }
        assert application["stage"] == "Phone screen"
        stages = [change["stage"] for change in application["stage_changes"]]
        assert stages == [seeded["application"]["stage"], "Phone screen"]
        assert [note["body"] for note in application["notes"]] == ["Strong on control loops."]
        (interview,) = application["interviews"]
        assert interview["id"] == seeded["feedback"]["id"]
        assert (interview["interview_type"], interview["rating"], interview["summary"]) == (
            "phone",
            "strong_yes",
            "Clear thinker.",
        )
        assert interview["interviewer"] == "Rita Recruiter"
        notes = {note["id"]: note for note in candidate["notes"]}
        assert notes[seeded["candidate_note"]["id"]]["body"] == "Met at a meetup."
        assert notes[seeded["candidate_note"]["id"]]["author"] == "Rita Recruiter"
        assert notes[seeded["candidate_note"]["id"]]["restricted"] is False

    async def test_a_note_kept_to_a_contract_shows_no_body(
        self, linked: Linked, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            linked.path(f"/members/{DAN}/preview"), headers=_bearer(linked.credential)
        )

        (candidate,) = response.json()["candidates"]
        restricted = next(n for n in candidate["notes"] if n["id"] == linked.seeded["restricted_note"]["id"])
        assert restricted["body"] is None and restricted["restricted"] is True
        assert restricted["author"] == "Alice Recruiter"
        assert "open to move" not in response.text

    async def test_a_job_only_its_hiring_team_sees_shows_no_title(
        self, linked: Linked, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            linked.path(f"/members/{DAN}/preview"), headers=_bearer(linked.credential)
        )

        (candidate,) = response.json()["candidates"]
        secret = next(
            a for a in candidate["applications"] if a["id"] == linked.seeded["secret_application"]["id"]
        )
        assert secret["job"] == {
            "id": linked.seeded["secret_job"]["id"],
            "title": None,
            "status": "open",
            "restricted": True,
        }
        assert "confidential" not in response.text

    async def test_a_note_written_from_linkedin_shows_no_body(
        self, linked: Linked, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            linked.path(f"/members/{DAN}/preview"), headers=_bearer(linked.credential)
        )

        (candidate,) = response.json()["candidates"]
        copied = next(n for n in candidate["notes"] if n["id"] == linked.seeded["from_linkedin"]["id"])
        assert (copied["body"], copied["restricted"], copied["author"]) == (None, True, "Bob Sourcer")
        assert "relocation" not in response.text

    async def test_without_a_template_the_link_is_the_ats_record_url(
        self, linked: Linked, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            linked.path(f"/members/{DAN}/preview"), headers=_bearer(linked.credential)
        )

        (candidate,) = response.json()["candidates"]
        assert candidate["record_url"] == linked.seeded["candidate"]["url"]
        assert candidate["record_url"]


class _NoOutbound(httpx.AsyncBaseTransport):
    """Fails the test on any request: the In-ATS routes answer from our database only."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        pytest.fail(f"an In-ATS route called out: {request.method} {request.url}")


class TestNoOutboundCall:
    async def test_every_in_ats_route_answers_without_calling_out(
        self, linked: Linked, ctx_li: AppContext, settings: Settings
    ) -> None:
        transport = _NoOutbound()
        async with httpx.AsyncClient(transport=transport) as refusing:
            offline = replace(
                ctx_li,
                http=refusing,
                ats_http=refusing,
                linkedin=LinkedInClient(
                    refusing, api_url="http://li.invalid", oauth_url="http://li.invalid/oauth"
                ),
            )
            app: FastAPI = create_app(settings, context=offline)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://rsc.test"
            ) as client:
                answers = [
                    await client.get(
                        linked.path("/past-applicants"),
                        params={"member": DAN},
                        headers=_bearer(linked.credential),
                    ),
                    await client.get(
                        linked.path(f"/members/{DAN}/indicator"), headers=_bearer(linked.credential)
                    ),
                    await client.get(
                        linked.path(f"/members/{DAN}/preview"), headers=_bearer(linked.credential)
                    ),
                    await client.get(
                        linked.path(f"/members/{NOBODY}/preview"), headers=_bearer(linked.credential)
                    ),
                ]

        assert [a.status_code for a in answers] == [200, 200, 200, 404]
        assert answers[2].json()["candidates"][0]["applications"]
        assert transport.requests == []
