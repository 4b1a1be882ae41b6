"""`rsc-service rotate-keys`: re-encrypt every stored secret under the newest encryption key (operators)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from rsc_service.cli.base import app, console, read_settings, run_in_context
from rsc_service.context import AppContext

_COLUMNS = ("ats_token", "linkedin_client_secret", "in_ats_credential", "webhook_secret")


@app.command("rotate-keys")
def rotate_keys(
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Secrets' rows re-encrypted per transaction")
    ] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts)")] = False,
) -> None:
    """Re-encrypt every stored secret under the first key of RSC_SECURITY__ENCRYPTION_KEYS; safe to repeat.

    Put the new key first and keep the old ones after it on every replica, run this, then remove the old
    keys: everything stored still decrypts. Exits 1 if a secret could not be read with any configured key.
    """
    from rsc_service.tenants import service as tenant_service

    async def work(ctx: AppContext) -> tenant_service.KeyRotation:
        total = tenant_service.KeyRotation()
        cursor: tenant_service.RotationCursor | None = tenant_service.RotationCursor()
        while cursor is not None:
            # One transaction per batch: progress is kept if the run stops, and no lock is held for long.
            async with ctx.sessionmaker.begin() as session:
                done, cursor = await tenant_service.rotate_encryption_keys(
                    session, cipher=ctx.cipher, after=cursor, limit=batch_size
                )
            total.add(done)
        return total

    total = run_in_context(read_settings(), work)
    report: dict[str, Any] = {
        "rotated": total.rotated.total(),
        "already_current": total.already_current.total(),
        "changed_meanwhile": total.changed_meanwhile.total(),
        "unreadable": len(total.unreadable),
        "columns": {
            column: {
                "rotated": total.rotated[column],
                "already_current": total.already_current[column],
                "changed_meanwhile": total.changed_meanwhile[column],
            }
            for column in _COLUMNS
        },
        "unreadable_secrets": total.unreadable,
    }
    if as_json:
        typer.echo(json.dumps(report))
    else:
        for column, counts in report["columns"].items():
            console.print(
                f"[bold]{column:24}[/bold] rotated {counts['rotated']}, "
                f"already current {counts['already_current']}, "
                f"changed meanwhile {counts['changed_meanwhile']}"
            )
        console.print(
            f"{report['rotated']} secrets re-encrypted under the newest key, "
            f"{report['already_current']} already were"
        )
        if total.changed_meanwhile:
            console.print("some secrets changed while rotating: run `rsc-service rotate-keys` again to check")
        for label in total.unreadable:
            console.print(f"[red]cannot read {label} with the configured keys; left as it is[/red]")
    if total.unreadable:
        raise typer.Exit(1)
