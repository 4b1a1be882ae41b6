"""The fake ATS as an ASGI app: the contract's API, signed webhooks on every change, and `/_sim` controls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from rsc_service.simulators.ats import api, control, pages, problems, seed
from rsc_service.simulators.ats.config import AtsSimConfig
from rsc_service.simulators.ats.webhooks import WebhookSender
from rsc_service.simulators.ats.world import World


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    config: AtsSimConfig | None = None,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """`app.state.world` holds the records; `app.state.webhooks` the deliveries. `http` posts the webhooks."""
    settings = config or AtsSimConfig()
    now = clock or _utc_now
    world = World(now, ui_url=settings.ui_url, account=settings.account.model_dump(exclude_none=True))
    sender = WebhookSender(
        url=settings.webhook_url,
        secrets=settings.webhook_secrets,
        schedule=settings.retry_schedule,
        scale=settings.retry_scale,
        clock=now,
        http=http,
        timeout=settings.webhook_timeout,
    )
    world.webhooks = sender
    world.listeners.append(sender.enqueue)
    if settings.seed is not None:
        seed.generate(world, settings.seed)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await sender.close()

    app = FastAPI(title="Fake ATS", version="1.0.0", lifespan=lifespan)
    app.state.config = settings
    app.state.world = world
    app.state.webhooks = sender
    problems.install(app)
    app.include_router(api.router)
    app.include_router(control.router)
    app.include_router(pages.router)
    return app
