"""`rsc-service simulate linkedin|ats`: a bundled simulator, standalone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rsc_service.cli.base import app, read_settings

simulate_app = typer.Typer(no_args_is_help=True, help="Run a bundled simulator standalone.")
app.add_typer(simulate_app, name="simulate")


@simulate_app.command("linkedin")
def simulate_linkedin(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8100,
    seed_file: Annotated[Path | None, typer.Option(help="JSON world to load instead of the default")] = None,
) -> None:
    """Run the LinkedIn RSC simulator (OAuth, /v2 and /rest, /_sim controls)."""
    from rsc_service.simulators.linkedin import standalone

    standalone.serve(host, port, seed_file, read_settings().allow_insecure_local)


@simulate_app.command("ats")
def simulate_ats(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8200,
    seed: Annotated[int, typer.Option(help="Seed of the generated world")] = 1,
    candidates: Annotated[int, typer.Option(help="How many candidates to generate")] = 50,
    webhook_url: Annotated[str | None, typer.Option(help="Where to send signed webhooks")] = None,
    webhook_secret: Annotated[str | None, typer.Option(help="whsec_ secret to sign them with")] = None,
) -> None:
    """Run the fake ATS (the contract in openapi/ats-api.yaml, signed webhooks, /_sim controls)."""
    from rsc_service.simulators.ats import standalone

    standalone.serve(host, port, seed, candidates, webhook_url, webhook_secret)
