"""The fake ATS answers as openapi/ats-api.yaml says: real responses checked against its schemas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rsc_service.simulators.ats.app import create_app
from rsc_service.simulators.ats.config import AtsSimConfig, SeedOptions

TOKEN = "contract-token"


@pytest.fixture
async def fake_ats() -> AsyncIterator[httpx.AsyncClient]:
    config = AtsSimConfig(api_tokens=[TOKEN], seed=SeedOptions(seed=11, users=5, jobs=4, candidates=25))
    app = create_app(config)
    transport = httpx.ASGITransport(app=app)
    headers = {"authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://ats.test", headers=headers) as client:
        yield client


def response_schema(spec: dict[str, Any], path: str, method: str, status: int) -> tuple[str, dict[str, Any]]:
    response = spec["paths"][path][method]["responses"][str(status)]
    while "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    ((media_type, media),) = response["content"].items()
    return media_type, media["schema"]


class TestConformance:
    async def test_every_operation_answers_per_contract(
        self, fake_ats: httpx.AsyncClient, ats_contract: dict[str, Any], check_schema: Any
    ) -> None:
        checked: set[tuple[str, str, int]] = set()

        async def call(method: str, template: str, url: str, status: int, **kwargs: Any) -> dict[str, Any]:
            response = await fake_ats.request(method.upper(), url, **kwargs)
            assert response.status_code == status, (url, response.text)
            media_type, schema = response_schema(ats_contract, template, method, status)
            assert response.headers["content-type"] == media_type
            check_schema(schema, response.json())
            checked.add((template, method, status))
            body: dict[str, Any] = response.json()
            return body

        ids: dict[str, str] = {}
        for collection in ("candidates", "jobs", "applications", "notes", "interview_feedback", "users"):
            page = await call("get", f"/{collection}", f"/{collection}", 200, params={"limit": 3})
            assert page["next_cursor"]
            await call("get", f"/{collection}", f"/{collection}", 200, params={"cursor": page["next_cursor"]})
            await call("get", f"/{collection}", f"/{collection}", 200, params={"include_deleted": "true"})
            param = {
                "candidates": "candidate_id",
                "jobs": "job_id",
                "applications": "application_id",
                "notes": "note_id",
                "interview_feedback": "feedback_id",
                "users": "user_id",
            }[collection]
            ids[param] = page["data"][0]["id"]
            template = f"/{collection}/{{{param}}}"
            await call("get", template, f"/{collection}/{ids[param]}", 200)
            await call("get", template, f"/{collection}/nope", 404)
            await call("get", f"/{collection}", f"/{collection}", 401, headers={"authorization": "Bearer x"})
        account = await call("get", "/account", "/account", 200)
        await call("get", "/account", "/account", 401, headers={"authorization": "Bearer x"})
        await fake_ats.patch(
            "/_sim/account", json={"plan": "free", "web_url": "https://hr.acme.example:8443"}
        )
        changed = await call("get", "/account", "/account", 200)
        assert (changed["plan"], changed["version"]) == ("free", account["version"] + 1)
        await call("get", "/candidates", "/candidates", 400, params={"cursor": "garbage"})
        await call("get", "/jobs", "/jobs", 422, params={"limit": 0})

        candidate = {
            "external_id": "c:1",
            "first_name": "Tomasz",
            "last_name": "Nowak",
            "job_id": ids["job_id"],
            "current_company": "Initech",
            "source": "LinkedIn (Prospecting)",
        }
        made = await call("post", "/candidates", "/candidates", 201, json=candidate)
        await call("post", "/candidates", "/candidates", 200, json=candidate)
        await call("post", "/candidates", "/candidates", 422, json={"external_id": "c:2"})
        await call(
            "post", "/candidates", "/candidates", 404, json=candidate | {"external_id": "c:3", "job_id": "j"}
        )

        cid = made["id"]
        other_job = next(j for j in (await fake_ats.get("/jobs")).json()["data"] if j["id"] != ids["job_id"])
        path = "/candidates/{candidate_id}/applications"
        assign = {"external_id": "a:1", "job_id": other_job["id"], "stage": "Sourced"}
        await call("post", path, f"/candidates/{cid}/applications", 201, json=assign)
        await call("post", path, f"/candidates/{cid}/applications", 200, json=assign)
        await call("post", path, "/candidates/none/applications", 404, json=assign)

        note = {
            "external_id": "n:1",
            "body": "Open to relocating",
            "written_at": "2026-03-01T17:02:00Z",
            "visibility": {"linkedin_contract": "urn:li:contract:1"},
        }
        path = "/candidates/{candidate_id}/notes"
        await call("post", path, f"/candidates/{cid}/notes", 201, json=note)
        await call("post", path, f"/candidates/{cid}/notes", 200, json=note)
        await call("post", path, f"/candidates/{cid}/notes", 422, json={"external_id": "n:2"})

        email = {
            "external_id": "m:1",
            "body": "Hi",
            "direction": "inbound",
            "sent_at": "2026-03-01T17:02:00Z",
        }
        path = "/candidates/{candidate_id}/emails"
        sent = await call("post", path, f"/candidates/{cid}/emails", 201, json=email)
        await call("post", path, f"/candidates/{cid}/emails", 200, json=email)
        await call("post", path, "/candidates/none/emails", 404, json=email)
        read = await call("get", "/emails/{email_id}", f"/emails/{sent['id']}", 200)
        assert (read["id"], read["body"], read["direction"]) == (sent["id"], "Hi", "inbound")
        await call("get", "/emails/{email_id}", "/emails/nope", 404)
        await call(
            "get", "/emails/{email_id}", f"/emails/{sent['id']}", 401, headers={"authorization": "Bearer x"}
        )

        message = {"external_id": "u:1", "subject": "Initial sync finished", "body": "Done."}
        path = "/users/{user_id}/emails"
        await call("post", path, f"/users/{ids['user_id']}/emails", 201, json=message)
        await call("post", path, f"/users/{ids['user_id']}/emails", 200, json=message)
        await call("post", path, "/users/none/emails", 404, json=message)

        for path, external_id in (("/notes/withdraw", "n:1"), ("/emails/withdraw", "m:1")):
            withdrawn = await call("post", path, path, 200, json={"external_id": external_id})
            assert withdrawn["deleted_at"] is not None and withdrawn["external_id"] == external_id
            assert await call("post", path, path, 200, json={"external_id": external_id}) == withdrawn
            await call("post", path, path, 404, json={"external_id": "none"})
            await call("post", path, path, 422, json={"id": external_id})
        await call("get", "/emails/{email_id}", f"/emails/{sent['id']}", 404)  # withdrawn: gone, as a note

        operations = {(p, m) for p, item in ats_contract["paths"].items() for m in item if m != "parameters"}
        assert {(p, m) for p, m, _ in checked} == operations


class TestEmittedEvents:
    async def test_every_event_type_the_fake_ats_sends_matches_its_webhook_schema(
        self, ats_contract: dict[str, Any], check_schema: Any
    ) -> None:
        app = create_app(AtsSimConfig(seed=SeedOptions(seed=2, users=2, jobs=2, candidates=3)))
        world = app.state.world
        user = world.create("user", {"email": "kim@x.example", "first_name": "Kim", "last_name": "Lee"})
        job = world.create("job", {"title": "Controls Engineer", "privacy": "private"})
        candidate = world.create("candidate", {"first_name": "Rae", "last_name": "Kim"})
        application = world.create("application", {"candidate_id": candidate["id"], "job_id": job["id"]})
        note = world.create(
            "note", {"candidate_id": candidate["id"], "application_id": application["id"], "body": "x"}
        )
        feedback = world.create("interview_feedback", {"application_id": application["id"], "rating": "yes"})
        world.update("application", application["id"], {"stage": "Interview"})
        for kind, record in [
            ("user", user),
            ("job", job),
            ("candidate", candidate),
            ("application", application),
            ("note", note),
            ("interview_feedback", feedback),
        ]:
            world.update(kind, record["id"], {})
        for kind, record in [("interview_feedback", feedback), ("note", note), ("user", user), ("job", job)]:
            world.delete(kind, record["id"])
        world.delete("candidate", candidate["id"])

        events = app.state.webhooks.events
        for event in events:
            operation = ats_contract["webhooks"][event["type"]]["post"]
            check_schema(operation["requestBody"]["content"]["application/json"]["schema"], event)

        assert {event["type"] for event in events} == set(ats_contract["webhooks"])
