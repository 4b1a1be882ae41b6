"""`rsc-service pull-now [--tenant KEY]`: the half-hourly pull of Recruiter notes, InMails and InMail-reply
stubs into the ATS, run at once in the foreground (docs/pull.md)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rsc_service.cli.base import app, console, read_settings

if TYPE_CHECKING:
    from rsc_service.settings import Settings

# Another run holds the pull lease: try again later (sysexits' EX_TEMPFAIL).
EXIT_RUNNING = 75


@app.command("pull-now")
def pull_now(
    tenant: Annotated[
        list[str] | None, typer.Option("--tenant", help="Only this tenant's key (tn_...); repeatable")
    ] = None,
) -> None:
    """Pull LinkedIn notes, InMails and reply stubs into the ATS now, under the pull's fleet-wide lease."""
    settings = read_settings()
    from rsc_service.errors import ServiceError
    from rsc_service.pull.jobs import PullRunning

    try:
        outcome = asyncio.run(_run(settings, tenant or None))
    except PullRunning as error:
        console.print(f"[yellow]{error.detail or error}[/yellow]")
        raise typer.Exit(EXIT_RUNNING) from None
    except ServiceError as error:  # a --tenant that names no tenant
        console.print(f"[red]{error.detail or error}[/red]")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(outcome, default=str))
    if any(t.get("error") or any(s.get("error") for s in t["streams"]) for t in outcome["tenants"]):
        raise typer.Exit(1)


async def _run(settings: Settings, tenant_keys: list[str] | None) -> dict[str, Any]:
    from rsc_service import bootstrap
    from rsc_service.pull import jobs

    async with bootstrap.running(settings) as service:
        report = await jobs.pull_now(service.ctx, service.tenant_apps, tenant_keys=tenant_keys)
    return {"written": report.written, "tenants": [asdict(t) for t in report.tenants]}
