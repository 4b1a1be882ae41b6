"""`rsc-service replay` and `reconcile`: bring LinkedIn back in line when something was lost or refused."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from rsc_service.cli.base import app, console, read_settings, run_in_context
from rsc_service.context import AppContext


@app.command()
def replay(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's key (tn_...)")],
    row_id: Annotated[
        list[int] | None, typer.Option("--id", help="Outbox row id of a dead letter; repeat for several")
    ] = None,
    replay_all: Annotated[
        bool, typer.Option("--all", help="Every dead letter of the tenant, at most 500 per run")
    ] = False,
) -> None:
    """Send dead letters again, rebuilt from each record's current version; safe to repeat."""
    from rsc_service.push import service as push_service
    from rsc_service.tenants import service as tenant_service

    if bool(row_id) == replay_all:
        console.print("[red]give --id (repeatable) or --all[/red]")
        raise typer.Exit(2)

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.sessionmaker.begin() as session:
            found = await tenant_service.get_by_key(session, tenant)
            result = await push_service.replay_dead_letters(
                session, tenant=found, ids=row_id or None, replay_all=replay_all, now=ctx.clock()
            )
        return {"replayed": result.replayed, "skipped": result.skipped, "remaining": result.remaining}

    typer.echo(json.dumps(run_in_context(read_settings(), work)))


@app.command()
def reconcile(
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="Only this tenant (any stage but deactivated); default: all syncing"),
    ] = None,
) -> None:
    """Compare the ATS with what was pushed and owe LinkedIn what differs (recovers lost webhooks)."""
    from rsc_service.reconcile import service as reconcile_service

    async def work(ctx: AppContext) -> list[reconcile_service.Report]:
        return await reconcile_service.run_now(ctx, tenant_key=tenant)

    reports = run_in_context(read_settings(), work)
    for report in reports:
        typer.echo(json.dumps(vars(report)))
    if any(report.error for report in reports):
        raise typer.Exit(1)
