"""LinkedIn's two proofs on the callback, both HMAC-SHA256 keyed by the child application's client secret
(docs/linkedin.md#push-notifications): the challenge answer, and the `X-LI-Signature` of every POST."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-LI-Signature"
_SIGNED_PREFIX = b"hmacsha256="


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def challenge_response(secret: str, challenge_code: str) -> str:
    """hex(HMAC-SHA256(key = client secret, message = challengeCode))."""
    return _hex_hmac(secret, challenge_code.encode())


def signature(secret: str, body: bytes) -> str:
    """hex(HMAC-SHA256(key = client secret, message = "hmacsha256=" + the raw body))."""
    return _hex_hmac(secret, _SIGNED_PREFIX + body)


def verify(secret: str, body: bytes, given: str | None) -> bool:
    """Whether `given` (the header as received) signs `body`, compared in constant time. Hex is compared
    in lower case, as bytes: the header is re-encoded as it arrived (latin-1), so no value can make the
    comparison raise."""
    if not given:
        return False
    expected = signature(secret, body).encode()
    return hmac.compare_digest(expected, given.strip().lower().encode("latin-1", errors="replace"))
