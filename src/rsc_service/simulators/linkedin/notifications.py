"""Push notifications as docs/linkedin.md#push-notifications describes: GET challengeCode validation,
then signed POSTs."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx

from .models import App, CallbackState, Delivery
from .world import World

CHALLENGE_FAILED = "This URL did not pass the security challenge check"


def sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature(secret: str, body: bytes) -> str:
    """`X-LI-Signature`: hex HMAC-SHA256 of "hmacsha256=" + the raw JSON body, keyed by the client secret."""
    return sign(secret, b"hmacsha256=" + body)


async def validate(world: World, http: httpx.AsyncClient, url: str, app: App) -> bool:
    """The ownership check, done before the first POST and again once the last one is older than 2 h."""
    state = world.callbacks.setdefault(url, CallbackState())
    if state.blocked:
        return False
    fresh = timedelta(seconds=world.config.challenge_revalidate_seconds)
    if state.validated_at is not None and world.now() - state.validated_at < fresh:
        return True
    code = str(uuid.uuid4())
    passed = False
    try:
        response = await http.get(
            url,
            params={"challengeCode": code, "applicationId": str(app.app_id)},
            timeout=world.config.callback_timeout_seconds,
        )
        answer = response.json() if response.status_code == 200 else {}
        passed = (
            isinstance(answer, dict)
            and answer.get("challengeCode") == code
            and hmac.compare_digest(
                str(answer.get("challengeResponse", "")), sign(app.client_secret, code.encode())
            )
        )
    except (httpx.HTTPError, ValueError):
        passed = False
    if passed:
        state.validated_at, state.failures = world.now(), 0
    else:
        state.failures += 1
        state.blocked = state.failures >= world.config.challenge_failures_before_block
    return passed


async def _post(world: World, http: httpx.AsyncClient, delivery: Delivery, app: App) -> None:
    assert delivery.url is not None
    if not await validate(world, http, delivery.url, app):
        delivery.attempts.append({"error": CHALLENGE_FAILED})
        return
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "X-LI-Signature": signature(app.client_secret, body)}
    for _ in range(1 + max(0, world.config.notification_retries)):
        try:
            response = await http.post(
                delivery.url, content=body, headers=headers, timeout=world.config.callback_timeout_seconds
            )
        except httpx.HTTPError as exc:
            delivery.attempts.append({"error": type(exc).__name__})
            continue
        delivery.attempts.append({"status": response.status_code})
        if 200 <= response.status_code < 300:
            delivery.delivered = True
            break
    # LinkedIn may deliver the same notification again; receivers dedupe on its id.
    for _ in range(world.config.notification_duplicates if delivery.delivered else 0):
        try:
            response = await http.post(
                delivery.url, content=body, headers=headers, timeout=world.config.callback_timeout_seconds
            )
            delivery.attempts.append({"status": response.status_code, "duplicate": True})
        except httpx.HTTPError as exc:
            delivery.attempts.append({"error": type(exc).__name__, "duplicate": True})


async def notify_customer(
    world: World, http: httpx.AsyncClient, organization: str, kind: str, notification_id: str
) -> Delivery:
    """POST `{"type", "id", "expiresAt"}` to the customer's CALLBACK_URL, signed with the child secret."""
    expires = world.clock.now_ms() + world.config.notification_expiry_seconds * 1000
    payload: dict[str, Any] = {"type": kind, "id": notification_id, "expiresAt": expires}
    delivery = Delivery(notification_id, kind, world.callback_url(organization), payload)
    world.deliveries.append(delivery)
    app = world.app_for_organization(organization)
    if delivery.url is None or app is None:
        delivery.attempts.append({"error": "no CALLBACK_URL configured for this customer"})
        return delivery
    await _post(world, http, delivery, app)
    return delivery


async def notify_resync(
    world: World, http: httpx.AsyncClient, child: App, job_ids: list[str], sync_all: bool
) -> Delivery:
    """RESYNC_JOBS to the partner's job-postings webhook, signed with the partner app's secret."""
    partner = world.partner()
    payload: dict[str, Any] = {
        "developerApplicationUrn": child.urn,
        "externalJobPostingIds": [] if sync_all else job_ids,
        "syncAllOpenJobs": sync_all,
        "type": "RESYNC_JOBS",
    }
    delivery = Delivery(str(uuid.uuid4()), "RESYNC_JOBS", partner.job_webhook_url, payload)
    world.deliveries.append(delivery)
    if delivery.url is None:
        delivery.attempts.append({"error": "no job-postings webhook registered for the partner app"})
        return delivery
    await _post(world, http, delivery, partner)
    return delivery
