"""An empty secret signs nothing: anybody can compute an HMAC under the empty key, so neither LinkedIn
webhook accepts a body signed with one (docs/linkedin.md#push-notifications)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from rsc_service.context import AppContext
from rsc_service.linkedin_notifications.models import LinkedInNotification
from rsc_service.settings import Settings
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import Tenant
from tests.conftest import make_settings
from tests.factories import make_tenant

JOB_WEBHOOK = "/v1/linkedin/job-notifications"
APP = "urn:li:developerApplication:3001"


def forged(body: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    """A body and its X-LI-Signature under the empty key (written out here, not taken from the code)."""
    raw = json.dumps(body).encode()
    signature = hmac.new(b"", b"hmacsha256=" + raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-LI-Signature": signature}


def resync() -> dict[str, object]:
    return {"type": "RESYNC_JOBS", "developerApplicationUrn": APP, "syncAllOpenJobs": True}


class TestEmptyPartnerSecret:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        # `RSC_ONBOARDING__PARTNER_CLIENT_SECRET=`, as an unset compose ${VAR} leaves it
        return make_settings(database_url, onboarding={"partner_client_secret": ""})

    async def test_configured_empty_it_is_unset(self, client: httpx.AsyncClient, settings: Settings) -> None:
        body, headers = forged(resync())

        answer = await client.post(JOB_WEBHOOK, content=body, headers=headers)
        challenge = await client.get(JOB_WEBHOOK, params={"challengeCode": str(uuid.uuid4())})

        assert settings.onboarding.partner_client_secret is None
        assert answer.status_code == 503, answer.text
        assert "RSC_ONBOARDING__PARTNER_CLIENT_SECRET" in answer.json()["detail"]
        assert challenge.status_code == 503, challenge.text

    async def test_an_empty_secret_verifies_no_signature(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        settings.onboarding.partner_client_secret = SecretStr("")  # however it got there
        body, headers = forged(resync())

        answer = await client.post(JOB_WEBHOOK, content=body, headers=headers)

        # A 404 (no tenant has that application) would mean the signature had been accepted.
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"


class TestEmptyChildAppSecret:
    @pytest.fixture
    async def stored_empty(self, ctx: AppContext) -> Tenant:
        """A tenant whose stored child application secret is the empty string (registered before the
        registration schema refused one)."""
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get(session, tenant.id)
            tenant.linkedin_client_secret_enc = ctx.cipher.encrypt(
                "", tenant_id=str(tenant.id), column="linkedin_client_secret"
            )
        return tenant

    async def test_a_notification_signed_with_the_empty_key_is_401_and_stores_nothing(
        self, client: httpx.AsyncClient, ctx: AppContext, stored_empty: Tenant
    ) -> None:
        body, headers = forged({"type": "INTEGRATION_STATUS_CHANGE", "id": "urn:li:request:forged"})

        answer = await client.post(
            f"/v1/linkedin/notifications/{stored_empty.key}", content=body, headers=headers
        )

        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        async with ctx.sessionmaker() as session:
            stored = await session.scalars(
                select(LinkedInNotification).where(LinkedInNotification.tenant_id == stored_empty.id)
            )
            assert list(stored) == []
