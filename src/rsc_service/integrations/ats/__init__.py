"""The ATS contract from the service's side: wire models, webhook signatures and the API client."""

from rsc_service.integrations.ats import wire
from rsc_service.integrations.ats.client import AtsClient
from rsc_service.integrations.ats.errors import (
    AtsError,
    AtsNotFound,
    AtsProtocolError,
    AtsRejected,
    AtsUnavailable,
    SignatureError,
)
from rsc_service.integrations.ats.events import WebhookEvent, parse_event
from rsc_service.integrations.ats.signatures import new_secret, sign, verify

__all__ = [
    "AtsClient",
    "AtsError",
    "AtsNotFound",
    "AtsProtocolError",
    "AtsRejected",
    "AtsUnavailable",
    "SignatureError",
    "WebhookEvent",
    "new_secret",
    "parse_event",
    "sign",
    "verify",
    "wire",
]
