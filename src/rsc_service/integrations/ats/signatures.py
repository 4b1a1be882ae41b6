"""Standard Webhooks signing and verification for ATS webhooks (HMAC-SHA256, `v1,` signatures)."""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import secrets as _random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from rsc_service.integrations.ats.errors import SignatureError

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret


def new_secret(nbytes: int = 32) -> str:
    """A fresh signing secret in the Standard Webhooks form (`whsec_` + base64; 24 to 64 bytes)."""
    if not 24 <= nbytes <= 64:
        raise ValueError("a webhook secret has 24 to 64 bytes")
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(nbytes)).decode()


def sign(
    body: bytes | str,
    secret: str | Sequence[str],
    msg_id: str,
    timestamp: datetime | int,
) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`; several secrets give several signatures."""
    when = timestamp if isinstance(timestamp, datetime) else datetime.fromtimestamp(timestamp, UTC)
    keys = [secret] if isinstance(secret, str) else list(secret)
    if not keys:
        raise ValueError("at least one secret is needed to sign")
    data = body if isinstance(body, str) else body.decode()
    at = when.astimezone(UTC)
    signatures = [_webhook(key).sign(msg_id=msg_id, timestamp=at, data=data) for key in keys]
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(int(when.timestamp())),
        HEADER_SIGNATURE: " ".join(signatures),
    }


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secrets: Sequence[str],
    *,
    now: datetime | None = None,
    tolerance: timedelta = timedelta(minutes=5),
) -> None:
    """Accept `body` if its timestamp is within `tolerance` and any signature matches any secret.

    Raises SignatureError with a short reason otherwise. Call it on the raw bytes, before parsing.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    msg_id = _required(lowered, HEADER_ID)
    raw_timestamp = _required(lowered, HEADER_TIMESTAMP)
    raw_signatures = _required(lowered, HEADER_SIGNATURE)
    sent_at = _timestamp(raw_timestamp)
    current = now or datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)  # a naive `now` is taken as UTC
    # The spec rejects timestamps too far in the future as well as too old (replay window both ways).
    if abs(current - sent_at) > tolerance:
        raise SignatureError("timestamp outside tolerance")
    try:
        body.decode()
    except UnicodeDecodeError:
        raise SignatureError("body is not UTF-8") from None
    offered = _offered_signatures(raw_signatures)
    if not offered:
        raise SignatureError("no v1 signature in webhook-signature")
    # What the spec signs, `{id}.{timestamp}.{body}`, hashed with the standard library's one-shot HMAC: the
    # library's sign() builds a text signature only for it to be decoded again, twice the cost per webhook.
    signed = f"{msg_id}.{int(sent_at.timestamp())}.".encode() + body
    for secret in secrets:
        expected = hmac.digest(_key(secret), signed, "sha256")
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return
    raise SignatureError("no matching signature")


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise SignatureError(f"missing header {name}")
    return value


def _timestamp(raw: str) -> datetime:
    if not raw.isdigit():
        raise SignatureError("invalid header webhook-timestamp")
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError("invalid header webhook-timestamp") from None


def _offered_signatures(raw: str) -> list[bytes]:
    found: list[bytes] = []
    for entry in raw.split():
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue  # other schemes (v1a = ed25519) are not ours; the spec says to skip them
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


@functools.lru_cache(maxsize=1024)
def _key(secret: str) -> bytes:
    """The HMAC key of a secret, decoded as the library decodes it (the prefix dropped, base64 with padding
    added); a secret the library refuses is refused here too."""
    _webhook(secret)
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX) + "==")


@functools.lru_cache(maxsize=1024)
def _webhook(secret: str) -> Webhook:
    # Kept: building one decodes the secret, and a busy tenant's webhooks all check the same few.
    try:
        return Webhook(secret)
    except (binascii.Error, ValueError, RuntimeError, EmptyWebhookSecretError) as exc:
        raise ValueError("invalid webhook secret: expected whsec_ followed by base64") from exc
