"""P8 job resync: LinkedIn's RESYNC_JOBS, signed with the partner secret on the job-postings webhook, sends
the named jobs (or every open job) of the customer whose application it names again, as updates, through the
outbox; the webhook answers LinkedIn's ownership check with the partner secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.settings import Settings
from tests.conftest import FrozenClock
from tests.factories import Ats, job
from tests.flows.conftest import drain, linkedin_world

ORG = "urn:li:organization:1001"
APP = "urn:li:developerApplication:101"
SECRET = "sim-partner-secret"
PATH = "/v1/linkedin/job-notifications"


def _operations(sim: FastAPI, job_id: str) -> list[str]:
    history = linkedin_world(sim).history(
        "simpleJobPostings", integrationContext=ORG, externalJobPostingId=job_id
    )
    return [entry.record["jobPostingOperationType"] for entry in history if entry.record is not None]


def _signed(payload: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = hmac.new(secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()
    return body, {"X-LI-Signature": signature, "Content-Type": "application/json"}


def _resync(ids: list[str], *, every_open: bool = False, app: str = APP) -> dict[str, Any]:
    return {
        "type": "RESYNC_JOBS",
        "developerApplicationUrn": app,
        "externalJobPostingIds": ids,
        "syncAllOpenJobs": every_open,
    }


@pytest.fixture
async def jobs_at_linkedin(
    ats: Ats, dispatcher: Dispatcher, clock: FrozenClock, settings: Settings
) -> list[str]:
    settings.onboarding.partner_client_secret = SecretStr(SECRET)
    await ats.send("job.created", job("job_1"))
    await ats.send("job.created", job("job_2"))
    await ats.send("job.created", job("job_3", status="closed"))
    await drain(dispatcher, clock)
    return ["job_1", "job_2", "job_3"]


class TestResyncJobs:
    async def test_the_named_jobs_go_again_as_updates(
        self,
        jobs_at_linkedin: list[str],
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        clock: FrozenClock,
    ) -> None:
        body, headers = _signed(_resync(["job_1", "job_9"]))
        response = await client.post(PATH, content=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "accepted", "jobs": 1, "unknown": ["job_9"]}
        await drain(dispatcher, clock)

        assert _operations(linkedin_sim, "job_1") == ["CREATE", "UPDATE"]
        assert _operations(linkedin_sim, "job_2") == ["CREATE"]

    async def test_every_open_job_goes_again_when_linkedin_asks_for_all(
        self,
        jobs_at_linkedin: list[str],
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        clock: FrozenClock,
    ) -> None:
        body, headers = _signed(_resync([], every_open=True))
        response = await client.post(PATH, content=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["jobs"] == 2
        await drain(dispatcher, clock)

        assert _operations(linkedin_sim, "job_1") == ["CREATE", "UPDATE"]
        assert _operations(linkedin_sim, "job_2") == ["CREATE", "UPDATE"]
        assert _operations(linkedin_sim, "job_3") == ["CREATE"]  # closed: not an open job

    async def test_unsigned_unknown_and_malformed_notices_are_refused(
        self, jobs_at_linkedin: list[str], client: httpx.AsyncClient
    ) -> None:
        body, headers = _signed(_resync(["job_1"]), secret="not-the-partner-secret")
        assert (await client.post(PATH, content=body, headers=headers)).status_code == 401
        body, headers = _signed(_resync(["job_1"], app="urn:li:developerApplication:999"))
        unknown = await client.post(PATH, content=body, headers=headers)
        assert unknown.status_code == 404, unknown.text
        assert unknown.headers["content-type"].startswith("application/problem+json")
        body, headers = _signed({"type": "RESYNC_JOBS"})
        missing = await client.post(PATH, content=body, headers=headers)
        assert missing.status_code == 422 and "developerApplicationUrn" in missing.text, missing.text

    async def test_the_ownership_check_is_answered_with_the_partner_secret(
        self, jobs_at_linkedin: list[str], client: httpx.AsyncClient
    ) -> None:
        code = "0f8fad5b-d9cb-469f-a165-70867728950e"
        response = await client.get(PATH, params={"challengeCode": code, "applicationId": "100"})
        assert response.status_code == 200, response.text
        expected = hmac.new(SECRET.encode(), code.encode(), hashlib.sha256).hexdigest()
        assert response.json() == {"challengeCode": code, "challengeResponse": expected}

    async def test_the_ownership_check_cannot_sign_a_forged_notification(
        self, jobs_at_linkedin: list[str], client: httpx.AsyncClient
    ) -> None:
        # The challenge answer is an HMAC under the secret that signs notifications: answered for a code of
        # the caller's choosing, "hmacsha256=" + a body, it would be that body's signature.
        forged = json.dumps(_resync(["job_1"])).encode()
        asked = await client.get(PATH, params={"challengeCode": "hmacsha256=" + forged.decode()})
        assert asked.status_code == 422, asked.text
        assert asked.json()["errors"][0]["field"] == "query.challengeCode"
        guessed = hmac.new(SECRET.encode(), b"hmacsha256=" + forged, hashlib.sha256).hexdigest()
        assert guessed not in asked.text
        posted = await client.post(PATH, content=forged, headers={"X-LI-Signature": "0" * 64})
        assert posted.status_code == 401
