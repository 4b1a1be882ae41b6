"""Run the fake ATS in the foreground with uvicorn (`rsc-service simulate ats`)."""

from __future__ import annotations

import uvicorn

from rsc_service.simulators.ats.app import create_app
from rsc_service.simulators.ats.config import AtsSimConfig, SeedOptions


def serve(
    host: str,
    port: int,
    seed: int,
    candidates: int,
    webhook_url: str | None,
    webhook_secret: str | None,
) -> None:
    config = AtsSimConfig(webhook_url=webhook_url, seed=SeedOptions(seed=seed, candidates=candidates))
    if webhook_secret:
        config.webhook_secret = webhook_secret
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
