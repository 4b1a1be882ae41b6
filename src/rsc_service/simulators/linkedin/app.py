"""The LinkedIn RSC simulator as one ASGI app: OAuth, the Rest.li API, and the `/_sim` controls."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
from fastapi import FastAPI, Request
from starlette.responses import Response

from . import actions, api, auth, control, pages
from .config import SimConfig
from .errors import OAuthError, RestliError
from .faults import FaultMiddleware, Faults
from .seeding import seed_from_file, seed_world
from .tunnel import TunnelMiddleware
from .world import SimClock, World

# One TLS context for every simulator this process builds: each context loads the CA bundle again, which
# costs more than building the rest of the app.
_tls = functools.cache(httpx.create_ssl_context)


def create_app(
    config: SimConfig | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    http: httpx.AsyncClient | None = None,
) -> FastAPI:
    """A fresh simulator; `app.state.world` is its state, `http` the client push notifications go through."""
    config = config or SimConfig()
    sim_clock = SimClock(clock)
    world = World(config, sim_clock)
    if config.seed is not None:
        seed_world(world, config.seed)
    elif config.seed_file is not None:
        seed_from_file(world, config.seed_file)
    else:
        seed_world(world)

    owned = http is None
    client = http or httpx.AsyncClient(verify=_tls())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:  # a client passed in belongs to the caller
            await client.aclose()

    app = FastAPI(
        title="LinkedIn RSC simulator",
        docs_url="/_sim/docs",
        openapi_url="/_sim/openapi.json",
        lifespan=lifespan,
    )
    app.state.world = world
    app.state.config = config
    app.state.http = client
    app.state.faults = Faults(sim_clock, config.random_seed, config.hang_seconds)

    @app.exception_handler(RestliError)
    async def restli_error(request: Request, exc: RestliError) -> Response:
        return exc.response()

    @app.exception_handler(OAuthError)
    async def oauth_error(request: Request, exc: OAuthError) -> Response:
        return exc.response()

    app.include_router(auth.router)
    app.include_router(control.router)
    app.include_router(actions.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    # Faults sit outside the tunnel, so a fault hits a request before anything in it is applied.
    app.add_middleware(TunnelMiddleware, config=config)
    app.add_middleware(FaultMiddleware, faults=app.state.faults)
    return app
