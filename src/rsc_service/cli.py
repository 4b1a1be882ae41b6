"""The `rsc-service` command: thin wrappers that build settings and a context, then call the service."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rsc_service import logs
from rsc_service.settings import Settings, SettingsError, load_settings

app = typer.Typer(no_args_is_help=True, help="LinkedIn Recruiter System Connect beside your ATS.")
simulate_app = typer.Typer(no_args_is_help=True, help="Run a bundled simulator standalone.")
app.add_typer(simulate_app, name="simulate")
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
    uvicorn.run(create_app(settings), host=bind_host, port=bind_port, log_config=None, access_log=False)


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
                scheduler.shutdown()

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


@app.command()
def demo(
    database: Annotated[Path, typer.Option(help="SQLite file the demo uses")] = Path("rsc-service.db"),
    port: Annotated[int, typer.Option(help="Port the service listens on")] = 8000,
    once: Annotated[bool, typer.Option("--once", help="Start, check readiness, stop, exit 0")] = False,
) -> None:
    """Migrate an embedded SQLite database and serve the API with its jobs on 127.0.0.1."""
    import uvicorn

    from rsc_service.app import create_app
    from rsc_service.db import migrate as migrations

    url = f"sqlite+aiosqlite:///{database.resolve()}"
    settings = _settings(database={"url": url}, server={"host": "127.0.0.1", "port": port})
    migrations.upgrade(url)
    base = f"http://127.0.0.1:{port}"
    console.print(f"[bold]rsc-service demo[/bold]: database {database} migrated")
    console.print(f"  API docs  {base}/docs\n  ready     {base}/readyz\n  metrics   {base}/metrics")
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    if not once:
        console.print("Ctrl-C stops the demo.")
        server.run()
        return

    async def check() -> None:
        import httpx

        task = asyncio.create_task(server.serve())
        try:
            async with httpx.AsyncClient(base_url=base) as http:
                for _ in range(100):
                    if server.started:
                        break
                    await asyncio.sleep(0.1)
                ready = await http.get("/readyz")
        finally:
            server.should_exit = True
            await task
        if ready.status_code != 200:
            console.print(f"[red]not ready: {ready.text}[/red]")
            raise typer.Exit(1)
        console.print("demo ran: service ready")

    asyncio.run(check())


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
