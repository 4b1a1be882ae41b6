"""The `rsc-service` command: thin wrappers that build settings and a context, then call the service."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from rsc_service import logs
from rsc_service.context import AppContext
from rsc_service.errors import ServiceError
from rsc_service.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, help="LinkedIn Recruiter System Connect beside your ATS.")
simulate_app = typer.Typer(no_args_is_help=True, help="Run a bundled simulator standalone.")
app.add_typer(simulate_app, name="simulate")
tenant_app = typer.Typer(no_args_is_help=True, help="Register and manage tenants (operators).")
app.add_typer(tenant_app, name="tenant")
console = Console(stderr=True, soft_wrap=True)

OPENAPI_PATH = Path("openapi/rsc-service.json")


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default RSC_SERVER__HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RSC_SERVER__PORT)")] = None,
    jobs: Annotated[bool, typer.Option("--jobs/--no-jobs", help="Also run the periodic jobs")] = True,
) -> None:
    """Serve the HTTP API (and, unless --no-jobs, the periodic jobs) in the foreground."""
    import uvicorn

    from rsc_service.app import create_app

    settings = _settings()
    if not jobs:
        settings.scheduler.enabled = False
    bind_host = host or settings.server.host
    bind_port = port or settings.server.port
    console.print(
        f"rsc-service on http://{bind_host}:{bind_port}  (docs: http://{bind_host}:{bind_port}/docs)"
    )
    application = create_app(settings)
    # Modules, classes and the app live as long as the process: keep them out of the collector's full
    # passes, which would otherwise walk all of them each time (a pause every request shares).
    gc.freeze()
    uvicorn.run(application, host=bind_host, port=bind_port, log_config=None, access_log=False)


@app.command()
def worker() -> None:
    """Run only the periodic jobs (no HTTP), until SIGTERM or Ctrl-C."""
    from rsc_service.context import open_context
    from rsc_service.scheduler import Scheduler, SchedulerAlreadyRunning

    settings = _settings()
    logs.configure_logging(settings.logging, settings.environment)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with open_context(settings) as ctx:
            scheduler = Scheduler(ctx)
            scheduler.start()
            try:
                await stop.wait()
            finally:
                await scheduler.stop()

    try:
        asyncio.run(run())
    except SchedulerAlreadyRunning as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None


@app.command()
def migrate(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the database is not at head")] = False,
) -> None:
    """Upgrade the database to the newest schema (or, with --check, only report)."""
    from rsc_service.db import migrate as migrations
    from rsc_service.db.session import create_engine

    settings = _settings()
    if not check:
        migrations.upgrade(settings.database.url)
        console.print("database at head")
        return

    async def current() -> set[str]:
        engine = create_engine(settings.database)
        try:
            async with engine.connect() as connection:
                return await migrations.current_revisions(connection)
        finally:
            await engine.dispose()

    have, want = asyncio.run(current()), set(migrations.head_revisions())
    if have != want:
        console.print(
            f"database at {sorted(have) or 'nothing'}, head is {sorted(want)}: run `rsc-service migrate`"
        )
        raise typer.Exit(1)
    console.print("database at head")


demo_app = typer.Typer(
    invoke_without_command=True,
    help="Both simulators beside the service, a demo tenant, a seeded ATS, its records landing in LinkedIn.",
)
app.add_typer(demo_app, name="demo")


@demo_app.callback()
def demo(
    context: typer.Context,
    database: Annotated[Path, typer.Option(help="SQLite file the demo uses")] = Path("rsc-service.db"),
    port: Annotated[int, typer.Option(help="Port of the service")] = 8000,
    linkedin_port: Annotated[int, typer.Option(help="Port of the LinkedIn simulator")] = 8100,
    ats_port: Annotated[int, typer.Option(help="Port of the fake ATS")] = 8200,
    once: Annotated[
        bool, typer.Option("--once", help="Run the story, exit 0 when everything landed")
    ] = False,
) -> None:
    """Serve the service and both simulators on 127.0.0.1 and show the ATS's records arriving in LinkedIn."""
    if context.invoked_subcommand is not None:
        return
    from rsc_service import demo as story

    code = asyncio.run(
        story.run_demo(
            port=port,
            linkedin_port=linkedin_port,
            ats_port=ats_port,
            database=database,
            once=once,
            out=console.print,
        )
    )
    raise typer.Exit(code)


@demo_app.command("change")
def demo_change(
    port: Annotated[int, typer.Option(help="Port of the running demo's service")] = 8000,
    linkedin_port: Annotated[int, typer.Option(help="Port of its LinkedIn simulator")] = 8100,
    ats_port: Annotated[int, typer.Option(help="Port of its fake ATS")] = 8200,
) -> None:
    """Make one live change in the running demo's ATS and print how long it took to reach LinkedIn."""
    from rsc_service import demo as story

    code = asyncio.run(
        story.demo_change(port=port, ats_port=ats_port, linkedin_port=linkedin_port, out=console.print)
    )
    raise typer.Exit(code)


def _run_in_context(settings: Settings, work: Callable[[AppContext], Awaitable[T]]) -> T:
    from rsc_service.context import open_context

    async def run() -> T:
        async with open_context(settings) as ctx:
            return await work(ctx)

    try:
        return asyncio.run(run())
    except ServiceError as error:
        console.print(f"[red]{error.detail or error}[/red]")
        raise typer.Exit(1) from None


def _print_tenant(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    for key, value in data.items():
        console.print(f"[bold]{key:28}[/bold] {value}")


_CREATE_OPTIONS = {
    "ats_base_url": "--ats-url",
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
    organization: Annotated[str, typer.Option(help="LinkedIn organization URN (urn:li:organization:N)")],
    contract: Annotated[list[str], typer.Option(help="Recruiter contract URN; repeat for several")],
    client_id: Annotated[str, typer.Option(help="Child application client id")],
    client_secret: Annotated[
        str, typer.Option(help="Child application client secret", envvar="LINKEDIN_CLIENT_SECRET")
    ],
    app_urn: Annotated[str, typer.Option(help="Child application URN (urn:li:developerApplication:N)")],
    unique_foreign_id: Annotated[
        str, typer.Option(help="uniqueForeignId the child app was provisioned with")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts)")] = False,
) -> None:
    """Register a tenant with an existing child app. Prints the API key and webhook secret once."""
    from pydantic import ValidationError

    from rsc_service.tenants import service as tenant_service
    from rsc_service.tenants.schemas import TenantCreate, to_read

    try:
        data = TenantCreate(
            name=name,
            ats_base_url=ats_url,
            ats_token=ats_token,
            linkedin_organization_urn=organization,
            contracts=contract,
            linkedin_client_id=client_id,
            linkedin_client_secret=client_secret,
            linkedin_app_urn=app_urn,
            linkedin_unique_foreign_id=unique_foreign_id,
        )
    except ValidationError as error:
        for item in error.errors():
            field = str(item["loc"][0])
            console.print(f"[red]{_CREATE_OPTIONS.get(field, '--' + field)}: {item['msg']}[/red]")
        raise typer.Exit(2) from None
    settings = _settings()

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

    _print_tenant(_run_in_context(settings, work), as_json)


@tenant_app.command("list")
def tenant_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines")] = False) -> None:
    """List every tenant."""
    from rsc_service.tenants import service as tenant_service
    from rsc_service.tenants.schemas import to_read

    async def work(ctx: AppContext) -> list[dict[str, Any]]:
        async with ctx.sessionmaker() as session:
            return [to_read(t).model_dump(mode="json") for t in await tenant_service.list_all(session)]

    for row in _run_in_context(_settings(), work):
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

    _print_tenant(_run_in_context(_settings(), work), as_json)


@tenant_app.command("rotate-secret")
def tenant_rotate_secret(
    tenant_key: Annotated[str, typer.Argument(help="The tenant's key (tn_...)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Issue a new webhook signing secret; the old one stays valid for RSC_ATS__SECRET_GRACE_HOURS."""
    from datetime import timedelta

    from rsc_service.tenants import service as tenant_service

    settings = _settings()

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, tenant_key)
            secret, until = await tenant_service.rotate_webhook_secret(
                session,
                tenant,
                cipher=ctx.cipher,
                now=ctx.clock(),
                grace=timedelta(hours=settings.ats.secret_grace_hours),
            )
            return {"webhook_secret": secret, "previous_valid_until": until.isoformat()}

    _print_tenant(_run_in_context(settings, work), as_json)


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

    _run_in_context(_settings(), work)
    console.print(f"deleted {tenant_key}")


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
    from rsc_service.reconcile import service as reconcile_service
    from rsc_service.tenants import service as tenant_service

    if bool(row_id) == replay_all:
        console.print("[red]give --id (repeatable) or --all[/red]")
        raise typer.Exit(2)

    async def work(ctx: AppContext) -> dict[str, Any]:
        async with ctx.sessionmaker.begin() as session:
            found = await tenant_service.get_by_key(session, tenant)
            result = await reconcile_service.replay_dead_letters(
                session, tenant=found, ids=row_id or None, replay_all=replay_all, now=ctx.clock()
            )
        return {"replayed": result.replayed, "skipped": result.skipped, "remaining": result.remaining}

    typer.echo(json.dumps(_run_in_context(_settings(), work)))


@app.command()
def reconcile(
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Only this tenant (any stage); default: all syncing")
    ] = None,
) -> None:
    """Compare the ATS with what was pushed and owe LinkedIn what differs (recovers lost webhooks)."""
    from rsc_service.reconcile import service as reconcile_service

    async def work(ctx: AppContext) -> list[reconcile_service.Report]:
        return await reconcile_service.run_now(ctx, tenant_key=tenant)

    reports = _run_in_context(_settings(), work)
    for report in reports:
        typer.echo(json.dumps(vars(report)))
    if any(report.error for report in reports):
        raise typer.Exit(1)


@app.command()
def keygen() -> None:
    """Print a new Fernet key for RSC_SECURITY__ENCRYPTION_KEYS (put it first; keep older keys after it)."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


def openapi_document() -> str:
    from rsc_service.app import create_app

    settings = load_settings(scheduler={"enabled": False})
    return json.dumps(create_app(settings).openapi(), indent=2, sort_keys=True) + "\n"


@app.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the spec")] = OPENAPI_PATH,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the file differs from the app")] = False,
) -> None:
    """Write the OpenAPI document of the service (or, with --check, fail on drift)."""
    document = openapi_document()
    if check:
        if not output.exists() or output.read_text() != document:
            console.print(f"{output} is out of date: run `rsc-service openapi`")
            raise typer.Exit(1)
        console.print(f"{output} is current")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document)
    console.print(f"wrote {output}")


@simulate_app.command("linkedin")
def simulate_linkedin(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8100,
    seed_file: Annotated[Path | None, typer.Option(help="JSON world to load instead of the default")] = None,
) -> None:
    """Run the LinkedIn RSC simulator (OAuth, /v2 and /rest, /_sim controls)."""
    from rsc_service.simulators.linkedin import standalone

    settings = _settings()
    standalone.serve(host, port, seed_file, settings.allow_insecure_local)


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


def main() -> None:
    try:
        app()
    except SettingsError as error:  # settings read outside _settings(), e.g. by the app factory
        console.print(f"[red]{error}[/red]")
        sys.exit(2)
