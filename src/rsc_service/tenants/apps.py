"""TenantApps: each tenant's LinkedIn application — its child app's credentials behind the shared throttle.

Built once at start-up (bootstrap.py). Every feature that calls LinkedIn as a tenant asks it for the
tenant's app, so they all spend the same per-application budgets (docs/architecture.md#10-throttle).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rsc_service.crypto import Cipher
from rsc_service.errors import ServiceUnavailable
from rsc_service.integrations.linkedin import AppCredentials, LinkedInApp, LinkedInClient
from rsc_service.tenants import service as tenant_service
from rsc_service.throttle.service import DatabaseThrottle, ThrottleConfig

KEEP_SECONDS = 60.0  # a tenant's app is re-read this often, so a new client secret is used within a minute


@dataclass(frozen=True)
class TenantApp:
    """Where a tenant's records go: its LinkedIn application, and the integration context of its keys."""

    app: LinkedInApp
    integration_context: str  # the tenant's organization URN


# Makes the throttle of one LinkedIn application (tests pass one that waits on their clock).
ThrottleFactory = Callable[[str], DatabaseThrottle]


class TenantApps:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        linkedin: LinkedInClient | None,
        cipher: Callable[[], Cipher],
        throttle: ThrottleFactory,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._linkedin = linkedin
        self._cipher = cipher
        self._throttle = throttle
        self._monotonic = monotonic
        self._kept: dict[uuid.UUID, tuple[float, TenantApp]] = {}
        # One throttle per application for the life of the process: it remembers LinkedIn's Retry-After
        # for the groups not counted in the database (provisioning, integrations, seats).
        self._throttles: dict[str, DatabaseThrottle] = {}

    @classmethod
    def with_database_throttle(
        cls,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        linkedin: LinkedInClient | None,
        cipher: Callable[[], Cipher],
        config: ThrottleConfig,
        now: Callable[[], Awaitable[datetime]],
    ) -> TenantApps:
        def throttle(app: str) -> DatabaseThrottle:
            return DatabaseThrottle(sessionmaker, app=app, config=config, now=now)

        return cls(sessionmaker, linkedin=linkedin, cipher=cipher, throttle=throttle)

    async def for_tenant(self, tenant_id: uuid.UUID) -> TenantApp:
        kept = self._kept.get(tenant_id)
        if kept is not None and self._monotonic() - kept[0] < KEEP_SECONDS:
            return kept[1]
        if self._linkedin is None:
            raise ServiceUnavailable(
                "LinkedIn is not configured: set RSC_LINKEDIN__API_URL and RSC_LINKEDIN__OAUTH_URL"
            )
        async with self._sessionmaker() as session:
            tenant = await tenant_service.get(session, tenant_id)
        client_id, organization = tenant.linkedin_client_id, tenant.linkedin_organization_urn
        if client_id is None or organization is None:
            raise tenant_service.NotProvisioned(tenant)
        credentials = AppCredentials(
            client_id=client_id,
            client_secret=tenant_service.linkedin_client_secret(tenant, cipher=self._cipher()),
        )
        if client_id not in self._throttles:
            self._throttles[client_id] = self._throttle(client_id)
        found = TenantApp(
            self._linkedin.for_app(credentials, throttle=self._throttles[client_id]), organization
        )
        self._kept[tenant_id] = (self._monotonic(), found)
        return found

    def forget(self, tenant_id: uuid.UUID) -> None:
        self._kept.pop(tenant_id, None)
