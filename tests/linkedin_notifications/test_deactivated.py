"""A8: a deactivated customer's callback is gone. LinkedIn is answered 410 (challenge and POST, so it stops),
and a notification still pending at deactivation is closed as ignored, never acted on: else a one-click
export would still write a candidate into the deactivated customer's ATS."""

from __future__ import annotations

import uuid

import httpx

from rsc_service.bootstrap import Service
from rsc_service.context import AppContext
from rsc_service.linkedin_notifications import jobs
from rsc_service.tenants.models import Tenant
from tests.factories import deactivate_by_operator

from .conftest import notification, notifications, signed


def url(tenant: Tenant) -> str:
    return f"/v1/linkedin/notifications/{tenant.key}"


async def test_the_callback_of_a_deactivated_tenant_is_410_and_stores_nothing(
    client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant
) -> None:
    await deactivate_by_operator(client, provisioned.key)
    body, headers = signed(notification("EXPORT_CANDIDATE_PROFILE"))

    posted = await client.post(url(provisioned), content=body, headers=headers)
    challenge = await client.get(url(provisioned), params={"challengeCode": str(uuid.uuid4())})

    assert (posted.status_code, challenge.status_code) == (410, 410), (posted.text, challenge.text)
    assert posted.headers["content-type"] == "application/problem+json"
    assert await notifications(ctx, provisioned.id) == []


async def test_notifications_pending_at_deactivation_are_ignored_with_the_reason(
    client: httpx.AsyncClient, ctx: AppContext, provisioned: Tenant, running: Service
) -> None:
    sent = [notification("EXPORT_CANDIDATE_PROFILE"), notification("INTEGRATION_STATUS_CHANGE")]
    for one in sent:
        body, headers = signed(one)
        assert (await client.post(url(provisioned), content=body, headers=headers)).status_code == 200
    await deactivate_by_operator(client, provisioned.key)

    await jobs.process_pending_notifications(running)

    assert [
        (row.request_id, row.state, row.last_error) for row in await notifications(ctx, provisioned.id)
    ] == [(one["id"], "ignored", "the customer is deactivated: not acted on") for one in sent]
