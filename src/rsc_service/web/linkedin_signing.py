"""LinkedIn's two proofs on its webhooks, both HMAC-SHA256 keyed by an application's client secret (the
tenant's child application on the push-notification callback, the partner application on the
job-postings webhook; docs/linkedin.md#push-notifications): the challenge answer, and the
`X-LI-Signature` of every POST."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated

from fastapi import Query

SIGNATURE_HEADER = "X-LI-Signature"
_SIGNED_PREFIX = b"hmacsha256="
# LinkedIn's challenge code is a UUID (docs/linkedin.md#push-notifications). Only that shape is answered: the
# answer is an HMAC under the same secret as X-LI-Signature, so answering a code of the caller's choosing
# (a body, or "hmacsha256=" + a body) would sign a forged notification for anyone who asked; a UUID is
# never a JSON body.
CHALLENGE_CODE = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
_CHALLENGE_CODE = re.compile(CHALLENGE_CODE)
# The challenge's query parameter, as both webhooks declare it: any other code is a 422 naming it.
ChallengeCode = Annotated[
    str,
    Query(
        alias="challengeCode",
        pattern=CHALLENGE_CODE,
        description="A UUID, as LinkedIn sends; any other code is refused (422), never signed",
    ),
]


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def challenge_response(secret: str, challenge_code: str) -> str:
    """hex(HMAC-SHA256(key = client secret, message = challengeCode)), for a UUID code only (`CHALLENGE_CODE`:
    a route declares it on its query parameter, so a caller gets a 422 naming it)."""
    if _CHALLENGE_CODE.fullmatch(challenge_code) is None:
        raise ValueError("a challenge code is a UUID")
    return _hex_hmac(secret, challenge_code.encode())


def signature(secret: str, body: bytes) -> str:
    """hex(HMAC-SHA256(key = client secret, message = "hmacsha256=" + the raw body))."""
    return _hex_hmac(secret, _SIGNED_PREFIX + body)


def verify(secret: str, body: bytes, given: str | None) -> bool:
    """Whether `given` (the header as received) signs `body`. LinkedIn's pages put a `hmacsha256=` prefix on
    the header value and leave unclear whether the prefix is hashed too, so the header may carry it (in any
    case) or not, and the hex may be the HMAC of "hmacsha256=" + body or of the body alone
    (docs/linkedin.md#push-notifications); both are compared, each in constant time. Hex is compared in
    lower case, as bytes: the header is re-encoded as it arrived (latin-1), so no value can make the
    comparison raise. An empty secret signs nothing: anybody can compute an HMAC under it."""
    if not secret or not given:
        return False
    value = given.strip().lower().encode("latin-1", errors="replace")
    value = value.removeprefix(_SIGNED_PREFIX)
    over_prefixed = hmac.compare_digest(signature(secret, body).encode(), value)
    over_body = hmac.compare_digest(_hex_hmac(secret, body).encode(), value)
    return over_prefixed | over_body
