"""`rsc-service tenant …`: register and manage tenants (operators)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from rsc_service.cli.base import app, console, print_record, read_settings, run_in_context
from rsc_service.context import AppContext

tenant_app = typer.Typer(no_args_is_help=True, help="Register and manage tenants (operators).")
app.add_typer(tenant_app, name="tenant")


_CREATE_OPTIONS = {
    "ats_base_url": "--ats-url",
    "ats_token": "--ats-token",
    "linkedin_organization_urn": "--organization",
    "contracts": "--contract",
    "linkedin_client_id": "--client-id",
    "linkedin_client_secret": "--client-secret",
    "linkedin_app_urn": "--app-urn",
    "linkedin_unique_foreign_id": "--unique-foreign-id",
}


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="Customer name")],
    ats_url: Annotated[str, typer.Option(help="Base URL of the customer's ATS API")],
    ats_token: Annotated[str, typer.Option(help="Bearer token for the ATS API", envvar="ATS_TOKEN")],
    organization: Annotated[
        str | None, typer.Option(help="LinkedIn organization URN (urn:li:organization:N)")
    ] = None,
    contract: Annotated[
        list[str] | None, typer.Option(help="Recruiter contract URN; repeat for several")
    ] = None,
    client_id: Annotated[str | None, typer.Option(help="Child application client id")] = None,
    client_secret: Annotated[
        str | None, typer.Option(help="Child application client secret", envvar="LINKEDIN_CLIENT_SECRET")
    ] = None,
    app_urn: Annotated[
        str | None, typer.Option(help="Child application URN (urn:li:developerApplication:N)")
    ] = None,
    unique_foreign_id: Annotated[
        str | None, typer.Option(help="uniqueForeignId the child app was provisioned with")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts)")] = False,
) -> None:
    """Register a tenant. With an existing child app (every LinkedIn option) it starts active; with none,
    requested, and its ATS admin activates it. Prints the API key and webhook secret once."""
    from pydantic import ValidationError

    from rsc_service.tenants import service as tenant_service
    from rsc_service.tenants.schemas import TenantCreate, to_read

    try:
        data = TenantCreate(
            name=name,
            ats_base_url=ats_url,
            ats_token=ats_token,
            linkedin_organization_urn=organization,
            contracts=contract or [],
            linkedin_client_id=client_id,
            linkedin_client_secret=client_secret,
            linkedin_app_urn=app_urn,
            linkedin_unique_foreign_id=unique_foreign_id,
        )
    except ValidationError as error:
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "client-id"  # the all-or-none rule
            console.print(f"[red]{_CREATE_OPTIONS.get(field, '--' + field)}: {item['msg']}[/red]")
        raise typer.Exit(2) from None
    settings = read_settings()

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.sessionmaker.begin() as session:
            registered = await tenant_service.register(
                session,
                data=data,
                cipher=ctx.cipher,
                now=ctx.clock(),
                allow_insecure_local=settings.allow_insecure_local,
            )
            return {
                "tenant_key": registered.tenant.key,
                "api_key": registered.api_key,
                "webhook_secret": registered.webhook_secret,
                **to_read(registered.tenant).model_dump(mode="json"),
            }

    print_record(run_in_context(settings, work), as_json)


@tenant_app.command("list")
def tenant_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines")] = False,
    stage: Annotated[str | None, typer.Option(help="Only tenants in this stage")] = None,
) -> None:
    """List every tenant, or those in one stage."""
    from rsc_service.tenants import service as tenant_service
    from rsc_service.tenants.schemas import to_read

    wanted = _stage(stage, "--stage") if stage is not None else None

    async def work(ctx: AppContext) -> list[dict[str, Any]]:
        async with ctx.sessionmaker() as session:
            tenants = await tenant_service.list_all(session)
            return [to_read(t).model_dump(mode="json") for t in tenants if wanted in (None, t.stage)]

    for row in run_in_context(read_settings(), work):
        if as_json:
            typer.echo(json.dumps(row))
        else:
            typer.echo(f"{row['key']}  {row['stage']:14} {row['name']}")


@tenant_app.command("show")
def tenant_show(
    tenant_key: Annotated[str, typer.Argument(help="The tenant's key (tn_...)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Show one tenant (never its secrets)."""
    from rsc_service.tenants import service as tenant_service
    from rsc_service.tenants.schemas import to_read

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.sessionmaker() as session:
            return to_read(await tenant_service.get_by_key(session, tenant_key)).model_dump(mode="json")

    print_record(run_in_context(read_settings(), work), as_json)


@tenant_app.command("rotate-secret")
def tenant_rotate_secret(
    tenant_key: Annotated[str, typer.Argument(help="The tenant's key (tn_...)")],
    revoke: Annotated[
        bool,
        typer.Option(
            "--revoke", help="The old secret stops verifying at once (it leaked) instead of after the grace"
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Issue a new webhook signing secret; the old one stays valid for RSC_ATS__SECRET_GRACE_HOURS, or,
    with --revoke, not at all (running replicas refuse it within about RSC_ATS__TENANT_CACHE_SECONDS)."""
    from datetime import timedelta

    from rsc_service.tenants import service as tenant_service

    settings = read_settings()
    grace = timedelta(0) if revoke else timedelta(hours=settings.ats.secret_grace_hours)

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, tenant_key)
            secret, until = await tenant_service.rotate_webhook_secret(
                session,
                tenant,
                cipher=ctx.cipher,
                now=ctx.clock(),
                grace=grace,
            )
            return {"webhook_secret": secret, "previous_valid_until": until.isoformat()}

    print_record(run_in_context(settings, work), as_json)


@tenant_app.command("rotate-api-key")
def tenant_rotate_api_key(
    tenant_key: Annotated[str, typer.Argument(help="The tenant's key (tn_...)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Issue a new ATS-facing API key and print it once; the old key is refused at once, on every replica
    (a leaked key). Hand the new one to the ATS straight away."""
    from rsc_service.tenants import service as tenant_service

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, tenant_key)
            api_key = await tenant_service.rotate_api_key(session, tenant, now=ctx.clock())
            return {"tenant_key": tenant.key, "api_key": api_key, "api_key_prefix": tenant.api_key_prefix}

    print_record(run_in_context(read_settings(), work), as_json)


@tenant_app.command("delete")
def tenant_delete(
    tenant_key: Annotated[str, typer.Argument(help="The tenant's key (tn_...)")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Remove a tenant and everything stored for it."""
    from rsc_service.tenants import service as tenant_service

    if not yes:
        typer.confirm(f"Delete tenant {tenant_key} and all its data?", abort=True)

    async def work(ctx: AppContext) -> None:
        async with ctx.sessionmaker.begin() as session:
            await tenant_service.delete(session, await tenant_service.get_by_key(session, tenant_key))

    run_in_context(read_settings(), work)
    console.print(f"deleted {tenant_key}")


@tenant_app.command("deactivate")
def tenant_deactivate(
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's key (tn_...)")],
    keep_linkedin_data: Annotated[
        bool,
        typer.Option("--keep-linkedin-data", help="LinkedIn keeps its copy; only ours is purged"),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait", help="Delete and purge here, showing progress; or leave it to the job"
        ),
    ] = True,
    reason: Annotated[str | None, typer.Option(help="Kept in the tenant's audit trail")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines of progress")] = False,
) -> None:
    """Deactivate a tenant: stop its sync, delete what LinkedIn holds of it (unless --keep-linkedin-data),
    then purge its local data. Safe to run again: it continues where it stopped
    (docs/onboarding.md#stages)."""
    import asyncio
    from dataclasses import asdict

    from rsc_service import bootstrap
    from rsc_service.onboarding import deactivation
    from rsc_service.tenants import lifecycle
    from rsc_service.tenants import service as tenant_service

    mode = deactivation.Mode.KEEP if keep_linkedin_data else deactivation.Mode.DELETE

    def show(found: deactivation.Progress) -> None:
        if as_json:
            record = {**asdict(found), "mode": found.mode.value, "stage": found.stage.value}
            typer.echo(json.dumps(record, default=str))
            return
        console.print(f"[bold]{found.tenant_key}[/bold] mode {found.mode.value}: {found.state}")
        for kind in found.kinds:
            total = "?" if kind.total is None else kind.total
            failed = f", {kind.failed} failed: {kind.last_error}" if kind.failed else ""
            mark = "done" if kind.finished else "…"
            console.print(f"  {kind.kind:36} {kind.action:6} {kind.done}/{total}{failed} {mark}")

    async def work(ctx: AppContext) -> None:
        async with ctx.sessionmaker.begin() as session:
            found = await deactivation.deactivate(
                session,
                ctx,
                await tenant_service.get_by_key(session, tenant),
                mode=mode,
                actor=lifecycle.OPERATOR,
                now=ctx.clock(),
                reason=reason,
            )
            tenant_id = (await tenant_service.get_by_key(session, tenant)).id
        show(found)
        if not wait:
            return
        apps = bootstrap.tenant_apps(ctx)
        while True:
            finished = await deactivation.finish_one(ctx, apps, tenant_id)
            async with ctx.sessionmaker() as session:
                current = await deactivation.progress(
                    session, await tenant_service.get_by_key(session, tenant)
                )
            if current is not None:
                show(current)
            if finished:
                return
            await asyncio.sleep(5)

    settings = read_settings()
    run_in_context(settings, work)


def _stage(value: str, option: str) -> Any:
    """The stage named by `value`, or exit 2 naming the option the operator typed."""
    from rsc_service.tenants.models import Stage

    try:
        return Stage(value)
    except ValueError:
        console.print(f"[red]{option}: one of {', '.join(s.value for s in Stage)}[/red]")
        raise typer.Exit(2) from None


@tenant_app.command("stages")
def tenant_stages(
    tenant_key: Annotated[str, typer.Argument(help="The tenant's key (tn_...)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines")] = False,
) -> None:
    """The tenant's audit trail: every stage it went through, who moved it and why."""
    from rsc_service.tenants import service as tenant_service

    async def work(ctx: AppContext) -> list[dict[str, Any]]:
        async with ctx.sessionmaker() as session:
            tenant = await tenant_service.get_by_key(session, tenant_key)
            return [
                {
                    "from_stage": c.from_stage.value if c.from_stage else None,
                    "to_stage": c.to_stage.value,
                    "actor": c.actor,
                    "reason": c.reason,
                    "at": c.at.isoformat(),
                }
                for c in await tenant_service.stage_changes(session, tenant_id=tenant.id)
            ]

    for row in run_in_context(read_settings(), work):
        if as_json:
            typer.echo(json.dumps(row))
        else:
            moved = f"{row['from_stage'] or '-'} -> {row['to_stage']}"
            typer.echo(f"{row['at']}  {moved:30} {row['actor']}: {row['reason']}")


@tenant_app.command("advance")
def tenant_advance(
    tenant_key: Annotated[str, typer.Argument(help="The tenant's key (tn_...)")],
    to: Annotated[str, typer.Option("--to", help="The stage to move to (one step the lifecycle allows)")],
    reason: Annotated[str, typer.Option(help="Why, for the audit trail")],
) -> None:
    """Force a tenant one step on, audited as the operator (deactivate with `tenant deactivate`)."""
    from rsc_service.onboarding import initial_sync
    from rsc_service.tenants import service as tenant_service
    from rsc_service.tenants.models import Stage

    wanted = _stage(to, "--to")
    if wanted is Stage.DEACTIVATED:
        console.print("[red]--to deactivated: use `tenant deactivate`, which also deletes and purges[/red]")
        raise typer.Exit(2)

    async def work(ctx: AppContext) -> str:
        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, tenant_key)
            await initial_sync.force_step(session, tenant, wanted, reason=reason, now=ctx.clock())
            return str(tenant.stage.value)

    typer.echo(run_in_context(read_settings(), work))


@tenant_app.command("in-ats-credential")
def tenant_in_ats_credential(
    tenant_key: Annotated[str, typer.Argument(help="The tenant's key (tn_...)")],
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Issue a new one; the old one stops working at once")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Print the In-ATS credential LinkedIn's side presents on /v1/in-ats/{tenant_key}/… (docs/in-ats.md),
    or with --rotate issue a new one (also for a tenant that has none yet)."""
    from rsc_service.in_ats import operator
    from rsc_service.tenants import service as tenant_service

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, tenant_key)
            if rotate:
                credential = await operator.rotate_credential(session, tenant, cipher=ctx.cipher)
            else:
                credential = operator.credential(tenant, cipher=ctx.cipher)
            return {"tenant_key": tenant.key, "in_ats_credential": credential}

    print_record(run_in_context(read_settings(), work), as_json)
