"""Errors raised by the ATS integration: signature checks and calls to the ATS API.

AtsError
├── SignatureError      a webhook failed Standard Webhooks verification
├── AtsUnavailable      5xx, 429, timeouts or connection errors after the last retry, or at once when the
│                       ATS asks for a wait longer than the client's (`retry_after`)
├── AtsRejected         a 4xx answer, with the ATS's problem detail kept
│   └── AtsNotFound     404 with the contract's problem code `not_found`: the record does not exist
└── AtsProtocolError    an answer that does not match the contract
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AtsError(Exception):
    """Base of every error the ATS integration raises."""


class SignatureError(AtsError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AtsUnavailable(AtsError):
    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # seconds the ATS last asked to wait, if it did


class AtsRejected(AtsError):
    def __init__(self, status: int, problem: Mapping[str, Any] | None = None, *, text: str = "") -> None:
        self.status = status
        self.problem: dict[str, Any] = dict(problem or {})
        self.code: str | None = _str_or_none(self.problem.get("code"))
        self.detail: str | None = _str_or_none(self.problem.get("detail")) or (text[:500] or None)
        super().__init__(f"ATS answered {status}" + (f": {self.detail}" if self.detail else ""))


class AtsNotFound(AtsRejected):
    """The record does not exist (or no longer exists) in the ATS: the contract's 404 problem, `code:
    not_found`. Any other 404 (a gateway's for a route it does not know) is a plain AtsRejected."""


class AtsProtocolError(AtsError):
    """The ATS answered with a body the contract does not allow."""


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
