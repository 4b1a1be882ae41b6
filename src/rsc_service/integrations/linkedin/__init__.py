"""LinkedIn Recruiter System Connect: the client, its wire models and its errors."""

from rsc_service.integrations.linkedin import restli, wire
from rsc_service.integrations.linkedin.auth import AppCredentials, ClientCredentialsAuth, TokenCache
from rsc_service.integrations.linkedin.batch import MAX_BATCH, BatchResult
from rsc_service.integrations.linkedin.client import LinkedInApp, LinkedInClient
from rsc_service.integrations.linkedin.errors import (
    AuthFailed,
    Category,
    EntityError,
    Forbidden,
    LinkedInError,
    Rejected,
    Retriable,
    Throttled,
    UriTooLong,
    classify,
)
from rsc_service.integrations.linkedin.throttle import Group, Limit, Throttle, TokenBucketThrottle

__all__ = [
    "MAX_BATCH",
    "AppCredentials",
    "AuthFailed",
    "BatchResult",
    "Category",
    "ClientCredentialsAuth",
    "EntityError",
    "Forbidden",
    "Group",
    "Limit",
    "LinkedInApp",
    "LinkedInClient",
    "LinkedInError",
    "Rejected",
    "Retriable",
    "Throttle",
    "Throttled",
    "TokenBucketThrottle",
    "TokenCache",
    "UriTooLong",
    "classify",
    "restli",
    "wire",
]
