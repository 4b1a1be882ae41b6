"""Nothing personal or secret reaches the logs or a database error: real traffic, logged at DEBUG as JSON
(docs/architecture.md#16-security)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import sys
import traceback
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from rsc_service import bootstrap, logs
from rsc_service.context import AppContext
from rsc_service.integrations.linkedin import LinkedInClient
from rsc_service.outbox.dispatcher import DispatchSettings
from rsc_service.settings import Environment, LogFormat, LoggingSettings, Settings
from rsc_service.simulators.linkedin.app import create_app as create_linkedin_sim
from rsc_service.simulators.linkedin.config import SimConfig
from rsc_service.tenants.models import Tenant
from tests.conftest import ADMIN_TOKEN, FrozenClock, make_settings
from tests.factories import Ats, application, candidate, job, note, tenant_fields
from tests.flows.conftest import drain

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SIM_URL = "http://linkedin.test"

# Values that must never be written to a log: recognisable, so a leak anywhere in the output is found.
EMAIL = "zebulonia.quixtraverse@privacy.example"
PHONE = "+44 20 7946 0958"
FIRST_NAME = "Zebulonia"
LAST_NAME = "Quixtraverse"
NOTE_BODY = "Confidential: expects 98765 a year, leaving over a dispute"
ATS_TOKEN = "ats-token-Kq7xPrivacy"
NEW_ATS_TOKEN = "ats-token-Rotated9Zw"
CLIENT_SECRET = "sim-customer-secret"  # the LinkedIn simulator's customer app, so the push really sends


@contextlib.contextmanager
def production_logs_at_debug() -> Iterator[io.StringIO]:
    """Every log line as production writes it (JSON), at DEBUG, the standard library's too, into a buffer.

    Entered inside the test: pytest swaps sys.stderr between a test's phases, so a stream taken earlier
    may be closed by the time the lines are written."""
    buffer = io.StringIO()
    real_stderr = sys.stderr
    sys.stderr = buffer
    try:
        logs.configure_logging(LoggingSettings(level="DEBUG", format=LogFormat.JSON), Environment.PRODUCTION)
        yield buffer
    finally:
        sys.stderr = real_stderr
        logging.basicConfig(level=logging.WARNING, stream=real_stderr, force=True)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, logging={"format": "json", "level": "DEBUG"})


@pytest.fixture
async def linkedin_sim(clock: FrozenClock) -> FastAPI:
    return create_linkedin_sim(
        SimConfig(task_completion_seconds=1, sync_records_per_window=None, sync_requests_per_day=None),
        clock=clock,
    )


@pytest.fixture
async def linkedin_ctx(
    ctx: AppContext, linkedin_sim: FastAPI, clock: FrozenClock
) -> AsyncIterator[AppContext]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=linkedin_sim), base_url=SIM_URL) as http:
        client = LinkedInClient(http, api_url=SIM_URL, oauth_url=f"{SIM_URL}/oauth/v2", clock=clock)
        wired = dataclasses.replace(ctx, linkedin=client)
        wired.settings.linkedin.records_per_minute = None
        wired.settings.linkedin.requests_per_day = None
        yield wired


def _person(version: int = 1) -> dict[str, Any]:
    return candidate(
        version=version,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        emails=[{"address": EMAIL, "type": "work"}],
        phones=[{"number": PHONE, "type": "mobile"}],
    )


class TestLogsCarryNothingPersonal:
    async def test_webhooks_admin_calls_and_the_push_leave_no_personal_data_or_secret_in_the_logs(
        self,
        client: httpx.AsyncClient,
        linkedin_ctx: AppContext,
        clock: FrozenClock,
    ) -> None:
        with production_logs_at_debug() as captured:
            never_logged = await self._traffic(client, linkedin_ctx, clock)
            structlog.get_logger().debug("privacy.probe")
        output = captured.getvalue()

        assert '"event": "http.request"' in output  # the logs were captured, at DEBUG
        assert '"event": "privacy.probe"' in output
        assert "Logging error" not in output
        leaked = [value for value in never_logged if value in output]
        assert not leaked, f"{leaked} in the logs:\n{output[-4000:]}"

    async def _traffic(
        self, client: httpx.AsyncClient, linkedin_ctx: AppContext, clock: FrozenClock
    ) -> list[str]:
        """Admin calls and webhooks (good, forged, invalid), and the push; returns what must not be logged."""
        created = await client.post(
            "/v1/admin/tenants",
            json=tenant_fields(
                ats_token=ATS_TOKEN,
                linkedin_client_id="sim-customer",
                linkedin_client_secret=CLIENT_SECRET,
                linkedin_app_urn="urn:li:developerApplication:101",
                linkedin_unique_foreign_id="sim-customer",
            ),
            headers=AUTH,
        )
        assert created.status_code == 201, created.text
        tenant = created.json()
        ats = Ats(client=client, clock=clock, tenant_key=tenant["key"], secret=tenant["webhook_secret"])

        for event_type, data in [
            ("job.created", job()),
            ("candidate.created", _person()),
            ("application.created", application()),
            ("note.created", note(body=NOTE_BODY)),
            ("candidate.updated", _person(version=2)),
        ]:
            response = await ats.send(event_type, data)
            assert response.status_code == 202, response.text
        forged = await ats.post(
            ats.event("candidate.updated", _person(version=3)), secret="whsec_" + "B" * 32
        )
        invalid = await ats.send("note.updated", note(version=2, body=NOTE_BODY, written_at=EMAIL))
        not_json = await ats.post(
            {"id": "evt_bad"}, body=f'{{"first_name": "{FIRST_NAME}", "email": '.encode()
        )
        assert (forged.status_code, invalid.status_code, not_json.status_code) == (401, 422, 400)

        # The push sends the records to LinkedIn, through the same logger.
        dispatcher = bootstrap.build(linkedin_ctx, dispatch=DispatchSettings(concurrency=1)).dispatcher
        counts = await drain(dispatcher, clock, rounds=20)
        assert counts.sent >= 4, counts

        key = tenant["key"]
        admin_calls = [
            await client.get("/v1/admin/tenants", headers=AUTH),
            await client.get(f"/v1/admin/tenants/{key}", headers=AUTH),
            await client.get(f"/v1/admin/tenants/{key}/sync", headers=AUTH),
            await client.patch(f"/v1/admin/tenants/{key}", json={"ats_token": NEW_ATS_TOKEN}, headers=AUTH),
            await client.post(f"/v1/admin/tenants/{key}/webhook-secret/rotate", headers=AUTH),
            await client.post(
                f"/v1/admin/tenants/{key}/webhook-secret/rotate",
                json={"previous_valid_for_hours": 0},
                headers=AUTH,
            ),
            await client.patch(f"/v1/admin/tenants/{key}", json={"contracts": [EMAIL]}, headers=AUTH),
            await client.get("/v1/admin/tenants", headers={"Authorization": f"Bearer {tenant['api_key']}"}),
        ]
        assert [r.status_code for r in admin_calls] == [200, 200, 200, 200, 200, 200, 422, 401]
        rotated = [admin_calls[4].json()["webhook_secret"], admin_calls[5].json()["webhook_secret"]]

        secrets = [
            ADMIN_TOKEN,
            tenant["api_key"],
            tenant["webhook_secret"],
            *rotated,
            ATS_TOKEN,
            NEW_ATS_TOKEN,
        ]
        personal = [EMAIL, PHONE, PHONE.replace(" ", ""), FIRST_NAME, LAST_NAME, NOTE_BODY, "98765"]
        return [*secrets, CLIENT_SECRET, *personal]


class TestDatabaseErrorsHideParameters:
    async def test_a_refused_write_does_not_carry_its_values_in_the_error(self, ctx: AppContext) -> None:
        recognisable = f"zz-sealed-{uuid.uuid4().hex}"
        row = {
            "key": "tn_privacy",
            "name": "Privacy Ltd",
            "ats_base_url": "http://ats.test",
            "ats_token_enc": recognisable,
            "api_key_hash": "h" * 64,
            "api_key_prefix": "rsc_x",
            "linkedin_organization_urn": "urn:li:organization:1",
            "linkedin_client_id": "c",
            "linkedin_client_secret_enc": recognisable,
            "linkedin_app_urn": "urn:li:developerApplication:1",
            "linkedin_unique_foreign_id": "privacy-1",
            "created_at": ctx.clock(),
            "updated_at": ctx.clock(),
        }
        async with ctx.sessionmaker() as session:
            session.add(Tenant(id=uuid.uuid4(), **row))
            await session.flush()
            session.add(Tenant(id=uuid.uuid4(), **row))  # the same key and unique foreign id: refused
            with pytest.raises(DBAPIError) as raised:
                await session.flush()
            await session.rollback()

        error = raised.value
        assert "UNIQUE" in str(error).upper()
        assert recognisable not in str(error)
        assert recognisable not in "".join(traceback.format_exception(error))
        assert "hidden due to hide_parameters" in str(error)
