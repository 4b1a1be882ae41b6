"""`rsc-service backfill --tenant KEY [--dry-run]`: a tenant's initial sync in the foreground, with its
progress per kind (PRODUCT A4), or its dry run (O8).

Without `--dry-run` it starts the sync of an `enabled` tenant or continues one in `initial_sync` — the same
steps as the `advance_onboarding` job, safe beside it and beside running replicas — until the tenant is
`active`; Ctrl-C stops it, and running it again continues where it stopped. Unless `--no-drain`, this process
also sends the outbox (as every replica does), so it finishes without a worker running.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table

from rsc_service.cli.base import app, console, read_settings
from rsc_service.errors import ServiceError
from rsc_service.settings import Settings

if TYPE_CHECKING:
    from rsc_service.bootstrap import Service
    from rsc_service.context import AppContext
    from rsc_service.onboarding.initial_sync import Overview
    from rsc_service.tenants.models import Tenant


@app.command()
def backfill(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's key (tn_...)")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Walk the ATS and report what would be synced; write nothing")
    ] = False,
    drain: Annotated[
        bool, typer.Option("--drain/--no-drain", help="Also send the outbox from this process")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON on stdout")] = False,
) -> None:
    """Run or continue a tenant's initial sync in the foreground, showing progress per kind."""
    settings = read_settings()
    work = _dry_run(settings, tenant, as_json) if dry_run else _sync(settings, tenant, drain, as_json)
    try:
        outcome = asyncio.run(work)
    except ServiceError as error:
        console.print(f"[red]{error.detail or error}[/red]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("stopped; run it again to continue where it stopped")
        raise typer.Exit(130) from None
    if as_json:
        typer.echo(json.dumps(outcome, default=str))
    if outcome.get("error"):
        raise typer.Exit(1)


async def _sync(settings: Settings, key: str, drain: bool, as_json: bool) -> dict[str, Any]:
    from rsc_service import bootstrap
    from rsc_service.onboarding import initial_sync
    from rsc_service.tenants import service as tenant_service
    from rsc_service.tenants.models import Stage

    async with bootstrap.running(settings) as service:
        ctx = service.ctx
        async with ctx.sessionmaker.begin() as session:
            found = await tenant_service.get_by_key(session, key)
            await initial_sync.start_initial_sync(session, found, now=await ctx.db_now())
        if found.stage not in (Stage.INITIAL_SYNC, Stage.ACTIVE):
            return {
                "tenant": key,
                "stage": found.stage.value,
                "error": f"the tenant is {found.stage.value!r}: its initial sync starts once LinkedIn "
                "enables the integration (stage 'enabled')",
            }
        stop = asyncio.Event()
        drainer = asyncio.create_task(_drain(service, stop)) if drain else None
        try:
            view = await _follow(ctx, found, as_json)
        finally:
            stop.set()
            if drainer is not None:
                await drainer
            await service.dispatcher.release_held()
    return {"tenant": key, "stage": view.stage.value, "email_sent": view.email_sent} | {
        "kinds": [asdict(kind) for kind in view.kinds]
    }


async def _follow(ctx: AppContext, tenant: Tenant, quiet: bool) -> Overview:
    from rsc_service.onboarding import initial_sync
    from rsc_service.onboarding.initial_sync_walk import KINDS
    from rsc_service.tenants import service as tenant_service

    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        TextColumn("{task.fields[counts]:>17} {task.fields[detail]}"),
    )
    with Progress(*columns, console=console, disable=quiet) as bars:
        eta = bars.add_task("ETA", total=None, counts="", detail="")
        rows: dict[str, TaskID] = {
            kind: bars.add_task(kind, total=None, counts="", detail="") for kind in KINDS
        }
        shown_until = 0.0
        while True:
            step = await initial_sync.continue_initial_sync(ctx, tenant.id, until=time.monotonic() + 2)
            finished = step.state in ("activated", "not_syncing")
            if finished or (not quiet and time.monotonic() >= shown_until):
                began = time.monotonic()
                async with ctx.sessionmaker() as session:
                    found = await tenant_service.get(session, tenant.id)
                    view = await initial_sync.overview(session, ctx, found)
                # The overview counts every outbox row of the tenant (most of a second at 100,000
                # candidates on SQLite), and this process also walks and sends: it is refreshed no oftener
                # than five times what it costs, and with --json only at the end.
                shown_until = time.monotonic() + 5 * (time.monotonic() - began)
                _show(bars, rows, eta, view, step.state, finished)
                if finished:
                    return view
            if step.state in ("paced", "sending"):
                await asyncio.sleep(1)


def _show(
    bars: Progress, rows: dict[str, TaskID], eta: TaskID, view: Overview, state: str, finished: bool
) -> None:
    for kind in view.kinds:
        walked = f"walked {kind.walked}" + ("" if kind.finished else "…")
        bars.update(
            rows[kind.kind],
            total=kind.owed or None,
            completed=kind.landed + kind.dead,
            counts=f"{kind.landed + kind.dead}/{kind.owed}",
            detail=f"{walked}, skipped {kind.skipped}, dead {kind.dead}",
        )
    bars.update(
        eta,
        description=f"ETA {_eta(view.eta_seconds, view.eta_partial)}",
        total=1 if finished else None,
        completed=1 if finished else 0,
        detail=view.stage.value if finished else state,
    )


def _eta(seconds: float | None, partial: bool) -> str:
    if seconds is None:
        return "unknown (no LinkedIn budget configured)"
    minutes, rest = divmod(int(seconds), 60)
    return f"{'at least ' if partial else ''}{minutes} min {rest} s"


async def _drain(service: Service, stop: asyncio.Event) -> None:
    from rsc_service.outbox.jobs import DrainHealth, supervise

    box = service.ctx.settings.outbox
    async with service.wake.listening(service.ctx.engine):
        await supervise(
            service.dispatcher,
            service.wake,
            stop,
            DrainHealth(stalled_after=2 * box.lease_seconds),
            poll=box.poll_ms / 1000,
            fill=box.batch_wait_ms / 1000,
        )


async def _dry_run(settings: Settings, key: str, as_json: bool) -> dict[str, Any]:
    from rsc_service.context import open_context
    from rsc_service.onboarding.initial_sync_dry_run import DryRun, dry_run
    from rsc_service.tenants import service as tenant_service

    async with open_context(settings) as ctx:
        async with ctx.sessionmaker() as session:
            found = await tenant_service.get_by_key(session, key)
        with Progress(
            TextColumn("{task.description:<20}"),
            TextColumn("listed {task.fields[listed]:>7}  refused {task.fields[refused]:>6}"),
            console=console,
            disable=as_json,
        ) as bars:
            rows = {}

            def show(report: DryRun) -> None:
                for count in report.kinds:
                    fields = {
                        name: getattr(count, name) for name in ("listed", "synced", "skipped", "records")
                    }
                    if count.kind not in rows:
                        rows[count.kind] = bars.add_task(count.kind, refused=0, **fields)
                    bars.update(rows[count.kind], refused=count.refused, **fields)

            report = await dry_run(ctx, found, on_page=show)
    if not as_json:
        table = Table("kind", "listed", "synced", "skipped", "LinkedIn records", "refused")
        for count in report.kinds:
            table.add_row(
                count.kind,
                *(str(n) for n in (count.listed, count.synced, count.skipped, count.records, count.refused)),
            )
        console.print(table)
        for refusal in report.refusals:
            console.print(f"refused {refusal.kind} {refusal.ats_id}: {refusal.reason}")
        for (kind, reason), records in sorted(report.skipped.items()):
            console.print(f"skipped {records} {kind}: {reason}")
    return {
        "tenant": key,
        "dry_run": True,
        "kinds": [asdict(count) for count in report.kinds],
        "refusals": [asdict(refusal) for refusal in report.refusals],
        "skipped": [
            {"kind": kind, "reason": reason, "records": records}
            for (kind, reason), records in sorted(report.skipped.items())
        ],
    }
