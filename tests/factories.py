"""Typed builders with keyword overrides: real rows through the real services, ATS records as the contract
describes them, and signed deliveries of them to the service."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.integrations.ats import signatures
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.schemas import TenantCreate
from tests.conftest import ADMIN_TOKEN, FrozenClock

_counter = itertools.count(1)


def tenant_fields(**overrides: Any) -> dict[str, Any]:
    """Registration fields as an operator would send them; not validated, so tests can break them."""
    n = next(_counter)
    values: dict[str, Any] = {
        "name": f"Acme Staffing {n}",
        "ats_base_url": "http://ats.test/api",
        "ats_token": f"ats-token-{n}",
        "linkedin_organization_urn": "urn:li:organization:1001",
        "contracts": ["urn:li:contract:2001"],
        "linkedin_client_id": "sim-customer",
        "linkedin_client_secret": "sim-customer-secret",
        "linkedin_app_urn": f"urn:li:developerApplication:{3000 + n}",
        "linkedin_unique_foreign_id": f"acme-{n}",
    }
    values.update(overrides)
    return values


def tenant_create(**overrides: Any) -> TenantCreate:
    return TenantCreate(**tenant_fields(**overrides))


async def make_tenant(session: AsyncSession, ctx: AppContext, **overrides: Any) -> tenant_service.Registered:
    return await tenant_service.register(
        session,
        data=tenant_create(**overrides),
        cipher=ctx.cipher,
        now=ctx.clock(),
        allow_insecure_local=True,
    )


# ---- ATS records and their signed delivery ----

_ids = itertools.count(1)


@dataclass
class Ats:
    """Builds ATS events the way the contract describes them and posts them signed."""

    client: httpx.AsyncClient
    clock: FrozenClock
    tenant_key: str
    secret: str
    api_key: str = ""  # the tenant's key for the ATS-facing API, when a test needs it

    def event(self, event_type: str, data: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        return {
            "type": event_type,
            "id": event_id or f"evt_{next(_ids):06d}",
            "occurred_at": self.clock().isoformat(),
            "data": data,
        }

    async def post(
        self,
        event: dict[str, Any],
        *,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        at: datetime | None = None,
        body: bytes | None = None,
    ) -> httpx.Response:
        raw = body if body is not None else json.dumps(event).encode()
        signed = signatures.sign(raw, secret or self.secret, event.get("id", "evt_x"), at or self.clock())
        return await self.client.post(
            f"/v1/webhooks/ats/{self.tenant_key}",
            content=raw,
            headers={"content-type": "application/json", **signed, **(headers or {})},
        )

    async def send(self, event_type: str, data: dict[str, Any]) -> httpx.Response:
        return await self.post(self.event(event_type, data))


def candidate(ats_id: str = "cand_1", version: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "candidate",
        "id": ats_id,
        "version": version,
        "created_at": "2026-11-01T09:00:00Z",
        "updated_at": "2026-11-20T09:00:00Z",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "emails": [{"address": "ada@example.com", "type": "home"}],
        "phones": [],
        "current_company": "Analytical Engines",
        "current_title": "Engineer",
        **fields,
    }


def job(ats_id: str = "job_1", version: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "job",
        "id": ats_id,
        "version": version,
        "created_at": "2026-10-01T09:00:00Z",
        "updated_at": "2026-11-01T09:00:00Z",
        "title": "Backend Engineer",
        "description": "Build the services recruiters rely on.",
        "url": "https://ats.example/jobs/1",
        "location": {"city": "Austin", "region": "TX", "country": "US"},
        "status": "open",
        "privacy": "public",
        "listed": True,
        **fields,
    }


def application(ats_id: str = "app_1", version: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "application",
        "id": ats_id,
        "version": version,
        "created_at": "2026-11-02T09:00:00Z",
        "updated_at": "2026-11-03T09:00:00Z",
        "candidate_id": "cand_1",
        "job_id": "job_1",
        "stage": "Phone screen",
        "status": "active",
        "stage_history": [{"stage": "Applied", "entered_at": "2026-11-02T09:00:00Z"}],
        "applied_at": "2026-11-02T09:00:00Z",
        **fields,
    }


def note(ats_id: str = "note_1", version: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "note",
        "id": ats_id,
        "version": version,
        "created_at": "2026-11-04T09:00:00Z",
        "updated_at": "2026-11-04T09:00:00Z",
        "candidate_id": "cand_1",
        "body": "Strong systems background.",
        "author_user_id": "usr_1",
        "written_at": "2026-11-04T09:00:00Z",
        **fields,
    }


def interview_feedback(ats_id: str = "ifb_1", version: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "interview_feedback",
        "id": ats_id,
        "version": version,
        "created_at": "2026-11-05T09:00:00Z",
        "updated_at": f"2026-11-0{4 + version}T09:00:00Z",
        "candidate_id": "cand_1",
        "job_id": "job_1",
        "application_id": "app_1",
        "interviewer_user_id": "usr_1",
        "interview_type": "phone",
        "interviewed_at": "2026-11-05T09:00:00Z",
        "rating": "yes",
        "summary": "Good.",
        **fields,
    }


def tombstone(kind: str, ats_id: str, version: int, **parents: str) -> dict[str, Any]:
    return {"kind": kind, "id": ats_id, "version": version, "deleted_at": "2026-11-21T09:00:00Z", **parents}


async def deactivate_by_operator(client: httpx.AsyncClient, tenant_key: str) -> None:
    """The operator deactivates the tenant, LinkedIn's copy to be deleted; the request is accepted."""
    answer = await client.post(
        f"/v1/admin/tenants/{tenant_key}/deactivation",
        json={"delete_linkedin_data": True, "reason": "contract ended"},
        headers={"authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert answer.status_code == 202, answer.text
