"""AtsClient: retries, rejections and paging at the wire (respx), and every call against the fake ATS."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from tests.integrations.ats.conftest import BASE, STAMP, USER, Sleeps

from rsc_service.integrations.ats import AtsClient, errors, wire
from rsc_service.simulators.ats.app import create_app
from rsc_service.simulators.ats.config import AtsSimConfig, SeedOptions

PROBLEM = "application/problem+json"
ACCOUNT = {
    "id": "acct_1",
    "name": "Acme Robotics",
    "plan": "enterprise",
    "web_url": "https://acme.ats.example",
    "version": 2,
    "updated_at": STAMP,
}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient, sleeps: Sleeps) -> AtsClient:
    return AtsClient(http, base_url=BASE, token="t0k", retries=3, backoff=0.5, page_size=2, sleep=sleeps)


class TestRetries:
    @respx.mock
    async def test_503_then_success(self, client: AtsClient, sleeps: Sleeps) -> None:
        route = respx.get(f"{BASE}/users/usr_1").mock(
            side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json=USER)]
        )

        user = await client.get_user("usr_1")

        assert user.email == "maria@acme.example"
        assert route.call_count == 3
        assert sleeps.waits == [0.5, 1.0]
        assert route.calls.last.request.headers["authorization"] == "Bearer t0k"

    @respx.mock
    async def test_timeouts_and_connection_errors_are_retried(self, client: AtsClient) -> None:
        route = respx.get(f"{BASE}/users/usr_1").mock(
            side_effect=[
                httpx.ReadTimeout("slow"),
                httpx.ConnectError("refused"),
                httpx.Response(200, json=USER),
            ]
        )

        await client.get_user("usr_1")

        assert route.call_count == 3

    @respx.mock
    async def test_retry_after_is_honoured(self, client: AtsClient, sleeps: Sleeps) -> None:
        respx.get(f"{BASE}/users/usr_1").mock(
            side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=USER)]
        )

        await client.get_user("usr_1")

        assert sleeps.waits == [7.0]

    @respx.mock
    async def test_gives_up_as_unavailable(self, client: AtsClient) -> None:
        route = respx.get(f"{BASE}/users/usr_1").respond(500)

        with pytest.raises(errors.AtsUnavailable) as caught:
            await client.get_user("usr_1")

        assert route.call_count == 4
        assert caught.value.status == 500

    @respx.mock
    async def test_creates_are_retried_with_the_same_external_id(self, client: AtsClient) -> None:
        note = {
            "kind": "note",
            "id": "note_1",
            "version": 1,
            "created_at": STAMP,
            "updated_at": STAMP,
            "candidate_id": "cand_1",
            "body": "hi",
            "written_at": STAMP,
            "external_id": "n:1",
        }
        route = respx.post(f"{BASE}/candidates/cand_1/notes").mock(
            side_effect=[httpx.Response(503), httpx.Response(201, json=note)]
        )
        body = wire.NoteCreate(external_id="n:1", body="hi", written_at=datetime(2026, 3, 2, tzinfo=UTC))

        created = await client.create_note("cand_1", body)

        assert created.id == "note_1"
        sent = [call.request.content for call in route.calls]
        assert sent[0] == sent[1]
        assert b'"external_id":"n:1"' in sent[0]


class TestRejections:
    @respx.mock
    async def test_4xx_keeps_the_problem(self, client: AtsClient) -> None:
        problem = {
            "type": "about:blank",
            "title": "Unprocessable Content",
            "status": 422,
            "code": "validation_error",
            "detail": "body.first_name: Field required",
        }
        route = respx.post(f"{BASE}/candidates").respond(422, json=problem)

        with pytest.raises(errors.AtsRejected) as caught:
            await client.create_candidate(
                wire.CandidateCreate(external_id="x", first_name="A", last_name="B")
            )

        assert route.call_count == 1
        assert caught.value.status == 422
        assert caught.value.code == "validation_error"
        assert caught.value.detail == "body.first_name: Field required"
        assert caught.value.problem == problem

    @respx.mock
    async def test_the_contracts_404_problem_is_not_found(self, client: AtsClient) -> None:
        problem = {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "code": "not_found",
            "detail": "job job_9 does not exist",
        }
        headers = {"content-type": "application/problem+json"}
        respx.get(f"{BASE}/jobs/job_9").respond(404, json=problem, headers=headers)

        with pytest.raises(errors.AtsNotFound) as caught:
            await client.get_job("job_9")

        assert caught.value.detail == "job job_9 does not exist"
        assert isinstance(caught.value, errors.AtsRejected)

    @pytest.mark.parametrize(
        "answer",
        [
            {"text": "404 page not found", "headers": {"content-type": "text/plain"}},
            {"json": {"message": "no Route matched with those values"}},
            {"json": {"status": 404, "code": "route_not_found"}, "headers": {"content-type": PROBLEM}},
        ],
    )
    @respx.mock
    async def test_any_other_404_says_nothing_about_the_record(
        self, client: AtsClient, answer: dict[str, Any]
    ) -> None:
        """A gateway or proxy answering for a route it does not know (the ATS's deploy under way)."""
        respx.get(f"{BASE}/jobs/job_9").respond(404, **answer)

        with pytest.raises(errors.AtsRejected) as caught:
            await client.get_job("job_9")

        assert type(caught.value) is errors.AtsRejected and caught.value.status == 404

    @respx.mock
    async def test_body_outside_the_contract_is_a_protocol_error(self, client: AtsClient) -> None:
        respx.get(f"{BASE}/users/usr_1").respond(200, json={"id": "usr_1"})

        with pytest.raises(errors.AtsProtocolError):
            await client.get_user("usr_1")

    @respx.mock
    async def test_a_protocol_error_names_fields_never_their_values(self, client: AtsClient) -> None:
        # A user whose access level the contract does not know: the answer's name and email must not reach the
        # error, which is logged (reconcile.failed) and shown; nor its cause, which a traceback would print.
        respx.get(f"{BASE}/users/usr_1").respond(200, json={**USER, "access_level": "wizard", "id": 7})

        with pytest.raises(errors.AtsProtocolError) as caught:
            await client.get_user("usr_1")

        message = str(caught.value)
        assert "GET /api/v1/users/usr_1: 2 invalid field(s)" in message
        assert "access_level" in message and "id: Input should be a valid string" in message
        assert "wizard" not in message and "maria@acme.example" not in message and "Lopez" not in message
        assert caught.value.__cause__ is None and caught.value.__suppress_context__

    @respx.mock
    async def test_ids_are_escaped_in_paths(self, client: AtsClient) -> None:
        route = respx.get(f"{BASE}/users/a%2Fb").respond(200, json=USER)

        await client.get_user("a/b")

        assert route.called


class TestAccount:
    @respx.mock
    async def test_reads_the_plan_and_web_origin(self, client: AtsClient) -> None:
        route = respx.get(f"{BASE}/account").respond(200, json=ACCOUNT)

        account = await client.get_account()

        assert account == wire.Account(
            id="acct_1",
            name="Acme Robotics",
            plan="enterprise",
            web_url="https://acme.ats.example",
            version=2,
            updated_at=datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
        )
        assert route.call_count == 1
        assert route.calls.last.request.headers["authorization"] == "Bearer t0k"

    @respx.mock
    async def test_401_is_rejected_with_the_problem_and_not_retried(self, client: AtsClient) -> None:
        problem = {
            "type": "about:blank",
            "title": "Unauthorized",
            "status": 401,
            "code": "unauthorized",
            "detail": "missing or unknown bearer token",
        }
        route = respx.get(f"{BASE}/account").respond(
            401, json=problem, headers={"content-type": "application/problem+json"}
        )

        with pytest.raises(errors.AtsRejected) as caught:
            await client.get_account()

        assert route.call_count == 1
        assert not isinstance(caught.value, errors.AtsNotFound)
        assert (caught.value.status, caught.value.code) == (401, "unauthorized")
        assert caught.value.detail == "missing or unknown bearer token"

    @respx.mock
    @pytest.mark.parametrize(
        "change",
        [{"plan": "platinum"}, {"web_url": "https://acme.ats.example/"}, {"web_url": "http://acme.example"}],
    )
    async def test_an_account_outside_the_contract_is_a_protocol_error(
        self, client: AtsClient, change: dict[str, Any]
    ) -> None:
        respx.get(f"{BASE}/account").respond(200, json=ACCOUNT | change)

        with pytest.raises(errors.AtsProtocolError):
            await client.get_account()


class TestPaging:
    @respx.mock
    async def test_follows_cursors_and_sends_filters(self, client: AtsClient) -> None:
        users = [USER | {"id": f"usr_{n}"} for n in range(3)]
        route = respx.get(f"{BASE}/users").mock(
            side_effect=[
                httpx.Response(200, json={"data": users[:2], "next_cursor": "c_Mg"}),
                httpx.Response(200, json={"data": users[2:], "next_cursor": None}),
            ]
        )

        seen = [user.id async for user in client.list_users(updated_since=datetime(2026, 3, 1, tzinfo=UTC))]

        assert seen == ["usr_0", "usr_1", "usr_2"]
        first, second = (call.request.url.params for call in route.calls)
        assert dict(first) == {"updated_since": "2026-03-01T00:00:00Z", "limit": "2"}
        assert second["cursor"] == "c_Mg"

    @respx.mock
    async def test_one_page_at_a_time_answers_its_cursor(self, client: AtsClient) -> None:
        route = respx.get(f"{BASE}/users").respond(200, json={"data": [USER], "next_cursor": "c_Mw"})

        page = await client.page("/users", wire.Page[wire.User], {"cursor": "c_Mg", "limit": "50"})

        assert [user.id for user in page.data] == [USER["id"]] and page.next_cursor == "c_Mw"
        assert dict(route.calls[0].request.url.params) == {"cursor": "c_Mg", "limit": "50"}

    @respx.mock
    async def test_a_page_outside_the_contract_is_refused(self, client: AtsClient) -> None:
        respx.get(f"{BASE}/users").respond(200, json={"data": [{"id": 1}]})

        with pytest.raises(
            errors.AtsProtocolError, match=r"GET /api/v1/users: 8 invalid field\(s\): data.0.id"
        ):
            await client.page("/users", wire.Page[wire.User], {})


class TestLimits:
    @respx.mock
    async def test_oversized_answer_is_refused_and_not_retried(self, http: httpx.AsyncClient) -> None:
        client = AtsClient(http, base_url=BASE, token="t0k", retries=3, max_response_bytes=64)
        route = respx.get(f"{BASE}/users/usr_1").respond(200, json=USER | {"last_name": "x" * 100})

        with pytest.raises(errors.AtsProtocolError, match="GET /users/usr_1: answer larger than 64 bytes"):
            await client.get_user("usr_1")

        assert route.call_count == 1

    @respx.mock
    async def test_a_body_without_length_is_cut_off_while_streaming(self, http: httpx.AsyncClient) -> None:
        sent: list[int] = []

        async def endless() -> AsyncIterator[bytes]:
            for _ in range(1000):
                sent.append(1)
                yield b"x" * 1024

        client = AtsClient(http, base_url=BASE, token="t0k", max_response_bytes=4096)
        respx.get(f"{BASE}/users/usr_1").mock(return_value=httpx.Response(200, content=endless()))

        with pytest.raises(errors.AtsProtocolError, match="larger than 4096 bytes"):
            await client.get_user("usr_1")

        assert len(sent) <= 5  # reading stopped at the cap, not at the end of the body

    @respx.mock
    async def test_the_cap_counts_decompressed_bytes(self, http: httpx.AsyncClient) -> None:
        bomb = gzip.compress(b"[" + b" " * 100_000 + b"]")
        client = AtsClient(http, base_url=BASE, token="t0k", max_response_bytes=10_000)
        respx.get(f"{BASE}/users/usr_1").respond(200, content=bomb, headers={"Content-Encoding": "gzip"})

        assert len(bomb) < 10_000
        with pytest.raises(errors.AtsProtocolError, match="larger than 10000 bytes"):
            await client.get_user("usr_1")

    @respx.mock
    async def test_an_answer_at_the_cap_is_read(self, http: httpx.AsyncClient) -> None:
        body = json.dumps(USER).encode()
        client = AtsClient(http, base_url=BASE, token="t0k", max_response_bytes=len(body))
        respx.get(f"{BASE}/users/usr_1").respond(
            200, content=body, headers={"Content-Type": "application/json"}
        )

        assert (await client.get_user("usr_1")).id == "usr_1"

    @respx.mock
    async def test_an_oversized_error_answer_is_still_retried(
        self, http: httpx.AsyncClient, sleeps: Sleeps
    ) -> None:
        client = AtsClient(http, base_url=BASE, token="t0k", retries=1, max_response_bytes=500, sleep=sleeps)
        route = respx.get(f"{BASE}/users/usr_1").mock(
            side_effect=[httpx.Response(503, text="x" * 5000), httpx.Response(200, json=USER)]
        )

        assert (await client.get_user("usr_1")).id == "usr_1"
        assert route.call_count == 2

    @respx.mock
    async def test_the_timeout_reaches_every_request(self, http: httpx.AsyncClient) -> None:
        client = AtsClient(http, base_url=BASE, token="t0k", timeout=2.5, page_size=2)
        route = respx.get(f"{BASE}/users").mock(
            side_effect=[
                httpx.Response(200, json={"data": [USER], "next_cursor": "c_1"}),
                httpx.Response(200, json={"data": [], "next_cursor": None}),
            ]
        )

        [user async for user in client.list_users()]

        expected = {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
        assert [call.request.extensions["timeout"] for call in route.calls] == [expected, expected]

    @respx.mock
    async def test_without_a_timeout_the_http_clients_own_applies(self) -> None:
        route = respx.get(f"{BASE}/users/usr_1").respond(200, json=USER)
        async with httpx.AsyncClient(timeout=7.0) as http:
            await AtsClient(http, base_url=BASE, token="t0k").get_user("usr_1")

        assert route.calls.last.request.extensions["timeout"]["read"] == 7.0


@pytest.fixture
async def fake_ats() -> AsyncIterator[tuple[FastAPI, AtsClient]]:
    app = create_app(
        AtsSimConfig(api_tokens=["sim"], seed=SeedOptions(seed=4, users=4, jobs=3, candidates=9))
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield app, AtsClient(http, base_url="http://ats.test", token="sim", page_size=4, retries=0)


class TestAgainstTheFakeAts:
    async def test_lists_every_kind(self, fake_ats: tuple[FastAPI, AtsClient]) -> None:
        app, client = fake_ats
        world = app.state.world

        counts: dict[str, Any] = {
            "candidate": [c async for c in client.list_candidates()],
            "job": [j async for j in client.list_jobs()],
            "application": [a async for a in client.list_applications()],
            "note": [n async for n in client.list_notes()],
            "interview_feedback": [f async for f in client.list_interview_feedback()],
            "user": [u async for u in client.list_users()],
        }

        assert {kind: len(items) for kind, items in counts.items()} == {
            kind: world.count(kind) for kind in counts
        }

    async def test_filters_and_gets(self, fake_ats: tuple[FastAPI, AtsClient]) -> None:
        _, client = fake_ats
        application = await anext(client.list_applications())

        mine = [a async for a in client.list_applications(candidate_id=application.candidate_id)]
        candidate = await client.get_candidate(application.candidate_id)

        assert {a.candidate_id for a in mine} == {candidate.id}
        assert (await client.get_application(application.id)).stage_history == application.stage_history
        assert (await client.get_job(application.job_id)).id == application.job_id
        open_jobs = [j async for j in client.list_jobs(status="open")]
        assert all(job.status == "open" for job in open_jobs)

    async def test_every_create_is_idempotent(self, fake_ats: tuple[FastAPI, AtsClient]) -> None:
        app, client = fake_ats
        world = app.state.world
        job = await anext(client.list_jobs())
        user = await anext(client.list_users())
        when = datetime(2026, 3, 1, 17, 2, tzinfo=UTC)
        contract = wire.Visibility(linkedin_contract="urn:li:contract:7")

        for _ in range(2):
            candidate = await client.create_candidate(
                wire.CandidateCreate(
                    external_id="stub:1", first_name="Rae", last_name="Kim", current_company="Hooli"
                )
            )
            application = await client.assign_candidate(
                candidate.id, wire.ApplicationCreate(external_id="export:1", job_id=job.id)
            )
            note = await client.create_note(
                candidate.id,
                wire.NoteCreate(external_id="note:1", body="Hi", written_at=when, visibility=contract),
            )
            email = await client.create_email(
                candidate.id,
                wire.EmailCreate(
                    external_id="inmail:1",
                    body="Hello",
                    direction="outbound",
                    sent_at=when,
                    visibility=contract,
                ),
            )
            sent = await client.send_user_email(
                user.id, wire.UserEmailCreate(external_id="done:1", subject="Sync done", body="All synced.")
            )

        assert application.candidate_id == candidate.id
        assert note.visibility == email.visibility == contract
        assert sent.to == user.email
        assert sorted(d["kind"] for d in world.duplicates) == [
            "application",
            "candidate",
            "email",
            "note",
            "user_email",
        ]
        assert len([w for w in world.writes if w["status"] == 201]) == 5

    async def test_reads_the_account(self, fake_ats: tuple[FastAPI, AtsClient]) -> None:
        app, client = fake_ats
        app.state.world.change_account({"plan": "professional", "web_url": "https://hr.acme.example"})

        account = await client.get_account()

        assert (account.plan, account.web_url, account.version) == (
            "professional",
            "https://hr.acme.example",
            2,
        )

    async def test_unknown_candidate_is_not_found(self, fake_ats: tuple[FastAPI, AtsClient]) -> None:
        _, client = fake_ats

        with pytest.raises(errors.AtsNotFound) as caught:
            await client.get_candidate("cand_999999")

        assert caught.value.code == "not_found"
