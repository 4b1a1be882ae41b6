"""The fake ATS's contract endpoints: auth, paging, filters, idempotent creates, R7 visibility, account."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from rsc_service.simulators.ats.app import create_app
from rsc_service.simulators.ats.config import AccountOptions, AtsSimConfig
from rsc_service.simulators.ats.world import World
from tests.simulators.ats.fakes import TOKEN, Clock, Receiver


def first_id(world: World, kind: str, **match: Any) -> str:
    for record in world.stores[kind].live():
        if all(record.get(key) == value for key, value in match.items()):
            return str(record["id"])
    raise LookupError(kind)


async def walk(ats: httpx.AsyncClient, path: str, **params: str | int) -> list[dict[str, object]]:
    seen: list[dict[str, object]] = []
    query: dict[str, str | int] = dict(params)
    while True:
        page = (await ats.get(path, params=query)).json()
        seen.extend(page["data"])
        if page["next_cursor"] is None:
            return seen
        query["cursor"] = page["next_cursor"]


class TestAuth:
    async def test_missing_token_is_refused_as_problem(self, ats: httpx.AsyncClient) -> None:
        response = await ats.get("/candidates", headers={"authorization": ""})

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unauthorized"

    async def test_wrong_token_is_refused(self, ats: httpx.AsyncClient) -> None:
        response = await ats.get("/jobs", headers={"authorization": "Bearer nope"})

        assert response.status_code == 401


class TestReads:
    async def test_cursor_pages_cover_every_candidate_once(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        seen = await walk(ats, "/candidates", limit=7)

        assert len(seen) == 30
        assert len({record["id"] for record in seen}) == 30
        assert world.count("candidate") == 30

    async def test_a_read_delay_slows_list_reads_only_and_is_bounded(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        set_delay = await ats.put("/_sim/read-delay", json={"seconds": 0.2})
        started = asyncio.get_running_loop().time()
        page = await ats.get("/candidates", params={"limit": 5})
        slow = asyncio.get_running_loop().time() - started

        assert set_delay.status_code == 200 and world.read_delay == 0.2
        assert page.status_code == 200 and len(page.json()["data"]) == 5
        assert slow >= 0.2
        assert (await ats.put("/_sim/read-delay", json={"seconds": 11})).status_code == 422
        assert (await ats.put("/_sim/read-delay", json={"seconds": -1})).status_code == 422
        assert world.read_delay == 0.2

    async def test_updated_since_returns_only_later_changes(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        candidate_id = first_id(world, "candidate")
        world.update("candidate", candidate_id, {"current_title": "Staff Engineer"})

        changed = await walk(ats, "/candidates", updated_since="2026-03-02T08:59:00Z")

        assert [(record["id"], record["version"]) for record in changed] == [(candidate_id, 2)]

    async def test_changed_record_moves_to_the_end_of_the_walk(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        first = (await ats.get("/candidates", params={"limit": 5})).json()
        moved = first["data"][4]["id"]
        world.update("candidate", first["data"][0]["id"], {"current_company": "Initech"})

        rest = await walk(ats, "/candidates", cursor=first["next_cursor"], limit=50)

        assert rest[-1]["id"] == first["data"][0]["id"]
        assert moved not in [record["id"] for record in rest]

    async def test_deleted_records_only_with_include_deleted(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        job_id = first_id(world, "job")
        world.delete("job", job_id)

        visible = await walk(ats, "/jobs")
        everything = await walk(ats, "/jobs", include_deleted="true")
        gone = (await ats.get(f"/jobs/{job_id}")).status_code

        assert job_id not in [job["id"] for job in visible]
        deleted = next(job for job in everything if job["id"] == job_id)
        assert deleted["deleted_at"] == "2026-03-02T09:00:00Z"
        assert gone == 404

    async def test_filters_by_parent(self, ats: httpx.AsyncClient, world: World) -> None:
        application = next(iter(world.stores["application"].live()))

        found = await walk(ats, "/applications", candidate_id=application["candidate_id"])

        assert found
        assert {record["candidate_id"] for record in found} == {application["candidate_id"]}

    async def test_get_one_and_unknown(self, ats: httpx.AsyncClient, world: World) -> None:
        user_id = first_id(world, "user")

        assert (await ats.get(f"/users/{user_id}")).json()["id"] == user_id
        missing = await ats.get("/users/usr_999999")
        assert missing.status_code == 404
        assert missing.json()["detail"] == "user usr_999999 does not exist"

    async def test_bad_cursor_is_400(self, ats: httpx.AsyncClient) -> None:
        response = await ats.get("/notes", params={"cursor": "nonsense"})

        assert response.status_code == 400
        assert response.json()["code"] == "bad_cursor"


class TestIdempotentCreates:
    async def test_repeat_returns_the_same_candidate_and_is_recorded(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        job_id = first_id(world, "job", status="open")
        body = {"external_id": "export:1", "first_name": "Tomasz", "last_name": "Nowak", "job_id": job_id}

        first = await ats.post("/candidates", json=body)
        again = await ats.post("/candidates", json=body | {"first_name": "Tom"})

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert first.json()["external_id"] == "export:1"
        assert [c for c in world.stores["candidate"].live() if c["external_id"] == "export:1"] == [
            first.json()
        ]
        applications = [
            a for a in world.stores["application"].live() if a["candidate_id"] == first.json()["id"]
        ]
        assert [(a["job_id"], a["stage"]) for a in applications] == [(job_id, "Sourced")]
        assert [(d["kind"], d["external_id"], d["existing_id"]) for d in world.duplicates] == [
            ("candidate", "export:1", first.json()["id"])
        ]
        assert [w["status"] for w in world.writes] == [201, 200]

    async def test_unassigned_candidate_has_no_application(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        body = {"external_id": "stub:9", "first_name": "Rae", "last_name": "Kim", "current_company": "Hooli"}

        created = (await ats.post("/candidates", json=body)).json()

        assert not [a for a in world.stores["application"].live() if a["candidate_id"] == created["id"]]

    async def test_assign_twice_to_the_same_job_keeps_one_application(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        candidate_id = first_id(world, "candidate")
        job_id = first_id(world, "job")
        path = f"/candidates/{candidate_id}/applications"

        first = await ats.post(path, json={"external_id": "assign:1", "job_id": job_id})
        other_key = await ats.post(path, json={"external_id": "assign:2", "job_id": job_id})
        same_key = await ats.post(path, json={"external_id": "assign:1", "job_id": job_id})

        assert first.status_code in {200, 201}
        assert other_key.status_code == same_key.status_code == 200
        assert other_key.json()["id"] == same_key.json()["id"] == first.json()["id"]

    async def test_note_keeps_visibility_and_is_written_once(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        candidate_id = first_id(world, "candidate")
        body = {
            "external_id": "li-note:1",
            "body": "Open to relocating",
            "written_at": "2026-03-01T17:02:00.123+01:00",
            "visibility": {"linkedin_contract": "urn:li:contract:7"},
        }

        first = await ats.post(f"/candidates/{candidate_id}/notes", json=body)
        again = await ats.post(f"/candidates/{candidate_id}/notes", json=body)

        stored = world.get("note", first.json()["id"])
        assert (first.status_code, again.status_code) == (201, 200)
        assert stored["visibility"] == {"linkedin_contract": "urn:li:contract:7"}
        assert stored["written_at"] == "2026-03-01T16:02:00Z"
        assert len([n for n in world.stores["note"].live() if n["external_id"] == "li-note:1"]) == 1

    async def test_email_on_candidate_keeps_visibility(self, ats: httpx.AsyncClient, world: World) -> None:
        candidate_id = first_id(world, "candidate")
        body = {
            "external_id": "inmail:1",
            "subject": "Hello",
            "body": "Would you be open to a chat?",
            "direction": "outbound",
            "sent_at": "2026-02-27T15:11:00Z",
            "visibility": {"linkedin_contract": "urn:li:contract:7"},
        }

        created = await ats.post(f"/candidates/{candidate_id}/emails", json=body)
        repeated = await ats.post(f"/candidates/{candidate_id}/emails", json=body)

        assert (created.status_code, repeated.status_code) == (201, 200)
        assert world.stores["email"].records[created.json()["id"]]["visibility"] == body["visibility"]
        assert [d["kind"] for d in world.duplicates] == ["email"]

    async def test_user_email_is_sent_once(self, ats: httpx.AsyncClient, world: World) -> None:
        user_id = first_id(world, "user")
        body = {"external_id": "sync-done:1", "subject": "Initial sync finished", "body": "All done."}

        sent = await ats.post(f"/users/{user_id}/emails", json=body)
        await ats.post(f"/users/{user_id}/emails", json=body)

        assert sent.status_code == 201
        assert sent.json()["to"] == world.get("user", user_id)["email"]
        assert len(world.stores["user_email"].records) == 1

    async def test_note_on_someone_elses_application_is_refused(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        application = next(iter(world.stores["application"].live()))
        other = first_id(world, "candidate")
        other = (
            other if other != application["candidate_id"] else sorted(world.stores["candidate"].records)[-1]
        )
        body = {"external_id": "n:2", "body": "x", "written_at": "2026-03-01T00:00:00Z"}

        response = await ats.post(
            f"/candidates/{other}/notes", json=body | {"application_id": application["id"]}
        )

        assert response.status_code == 422
        assert not world.writes

    @pytest.mark.parametrize(
        ("path", "field", "body"),
        [
            ("notes", "author_user_id", {"body": "x", "written_at": "2026-03-01T00:00:00Z"}),
            (
                "emails",
                "sender_user_id",
                {"body": "x", "direction": "outbound", "sent_at": "2026-03-01T00:00:00Z"},
            ),
        ],
    )
    async def test_an_author_who_is_no_user_is_a_422_naming_the_field(
        self, ats: httpx.AsyncClient, world: World, path: str, field: str, body: dict[str, str]
    ) -> None:
        """404 is the missing parent record (the candidate); an unknown author is an invalid body."""
        candidate_id = first_id(world, "candidate")
        user_id = first_id(world, "user")
        world.delete("user", user_id)

        response = await ats.post(
            f"/candidates/{candidate_id}/{path}", json=body | {"external_id": "by-gone:1", field: user_id}
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "validation_error"
        assert response.json()["detail"].startswith(f"body.{field}: ")
        assert not world.writes

    async def test_missing_fields_are_a_422_problem(self, ats: httpx.AsyncClient) -> None:
        response = await ats.post("/candidates", json={"external_id": "x", "first_name": "A"})

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert "last_name" in response.json()["detail"]

    async def test_unknown_job_is_404_and_creates_nothing(self, ats: httpx.AsyncClient, world: World) -> None:
        before = world.count("candidate")
        body = {"external_id": "x", "first_name": "A", "last_name": "B", "job_id": "job_999999"}

        response = await ats.post("/candidates", json=body)

        assert response.status_code == 404
        assert world.count("candidate") == before


class TestPrivacy:
    async def test_only_seat_holders_on_the_contract_read_restricted_content(
        self, ats: httpx.AsyncClient, world: World
    ) -> None:
        candidate_id = first_id(world, "candidate")
        seat_holder, other = sorted(world.stores["user"].records)[:2]
        restricted = {"linkedin_contract": "urn:li:contract:7"}
        await ats.post(
            f"/candidates/{candidate_id}/notes",
            json={
                "external_id": "n:1",
                "body": "Prefers remote",
                "written_at": "2026-03-01T10:00:00Z",
                "author_name": "Maria Lopez",
                "visibility": restricted,
            },
        )
        await ats.post(
            f"/candidates/{candidate_id}/emails",
            json={
                "external_id": "m:1",
                "subject": "Hi",
                "body": "Open to chat?",
                "direction": "outbound",
                "sent_at": "2026-03-01T11:00:00Z",
                "sender_name": "Maria Lopez",
                "visibility": restricted,
            },
        )
        await ats.put(f"/_sim/users/{seat_holder}/seats", json={"linkedin_contracts": ["urn:li:contract:7"]})
        await ats.put(f"/_sim/users/{other}/seats", json={"linkedin_contracts": ["urn:li:contract:8"]})

        def restricted_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [item for item in items if item.get("visibility")]

        mine = (await ats.get(f"/_sim/users/{seat_holder}/candidates/{candidate_id}/activity")).json()
        theirs = (await ats.get(f"/_sim/users/{other}/candidates/{candidate_id}/activity")).json()

        assert [(i["body"], i["redacted"]) for i in restricted_items(mine)] == [
            ("Prefers remote", False),
            ("Open to chat?", False),
        ]
        hidden = restricted_items(theirs)
        assert [(i["kind"], i["body"], i["redacted"]) for i in hidden] == [
            ("note", None, True),
            ("email", None, True),
        ]
        assert hidden[1]["subject"] is None
        assert [i.get("author_name") or i.get("sender_name") for i in hidden] == [
            "Maria Lopez",
            "Maria Lopez",
        ]


class TestAccount:
    async def test_defaults_to_enterprise_on_the_ui_origin(self, ats: httpx.AsyncClient) -> None:
        response = await ats.get("/account")

        assert response.status_code == 200
        assert response.json() == {
            "id": "acct_000001",
            "name": "Acme Robotics",
            "plan": "enterprise",
            "web_url": "https://acme-robotics.ats.example",
            "version": 1,
            "updated_at": "2026-03-02T09:00:00Z",
        }

    async def test_needs_the_token(self, ats: httpx.AsyncClient) -> None:
        response = await ats.get("/account", headers={"authorization": "Bearer nope"})

        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"

    async def test_sim_changes_plan_and_web_url(
        self, ats: httpx.AsyncClient, clock: Clock, receiver: Receiver
    ) -> None:
        clock.advance(60)

        changed = await ats.patch(
            "/_sim/account", json={"plan": "standard", "web_url": "https://hr.acme.example"}
        )
        answered = (await ats.get("/account")).json()

        assert changed.status_code == 200
        assert answered == changed.json()
        assert (answered["plan"], answered["web_url"], answered["name"]) == (
            "standard",
            "https://hr.acme.example",
            "Acme Robotics",
        )
        assert (answered["version"], answered["updated_at"]) == (2, "2026-03-02T09:01:00Z")
        assert (await ats.get("/_sim/account")).json() == answered
        assert receiver.requests == []  # the contract has no account events

    @pytest.mark.parametrize(
        "change",
        [
            {"web_url": "http://hr.acme.example"},
            {"web_url": "https://hr.acme.example/"},
            {"web_url": "https://hr.acme.example/app"},
            {"plan": "gold"},
            {"name": ""},
            {"version": 9},
        ],
    )
    async def test_sim_refuses_what_the_contract_does_not_allow(
        self, ats: httpx.AsyncClient, change: dict[str, Any]
    ) -> None:
        response = await ats.patch("/_sim/account", json=change)

        assert response.status_code == 422
        assert (await ats.get("/account")).json()["version"] == 1

    async def test_config_sets_the_account_at_start(self) -> None:
        app = create_app(
            AtsSimConfig(
                api_tokens=[TOKEN],
                ui_url="https://jobs.globex.example/app",
                account=AccountOptions(name="Globex", plan="professional"),
            )
        )
        transport = httpx.ASGITransport(app=app)
        headers = {"authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ats.test", headers=headers
        ) as client:
            account = (await client.get("/account")).json()

        assert (account["name"], account["plan"], account["web_url"]) == (
            "Globex",
            "professional",
            "https://jobs.globex.example",
        )

    def test_config_refuses_a_web_url_that_is_not_an_origin(self) -> None:
        with pytest.raises(ValidationError):
            AccountOptions(web_url="https://hr.acme.example/careers")
