"""Runs the simulator under uvicorn in the foreground (`rsc-service simulate linkedin --port`)."""

from __future__ import annotations

import pathlib

import uvicorn

from .app import create_app
from .config import SimConfig


def build(seed_file: pathlib.Path | None, allow_insecure_local: bool, **settings: object) -> uvicorn.Config:
    """The uvicorn config for a standalone simulator (tests use it to serve in a thread)."""
    config = SimConfig.model_validate(
        {"seed_file": seed_file, "allow_insecure_local": allow_insecure_local} | settings
    )
    app = create_app(config)
    app.state.faults.server_mode = True
    return uvicorn.Config(app, log_level="warning", access_log=False)


def serve(host: str, port: int, seed_file: pathlib.Path | None, allow_insecure_local: bool) -> None:
    config = build(seed_file, allow_insecure_local)
    config.host, config.port = host, port
    uvicorn.Server(config).run()
