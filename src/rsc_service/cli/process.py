"""Commands that run or prepare the service: serve, worker, migrate, keygen, openapi."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from rsc_service.cli.base import app, console, read_settings
from rsc_service.settings import load_settings

OPENAPI_PATH = Path("openapi/rsc-service.json")
# New container objects (net of those freed) between two collections of the youngest generation; Python's
# default is 700. A batch of webhooks holds a few thousand objects alive at once, each freed by reference
# counting once answered, so at 700 the collector ran on almost every request only to find them alive
# (about 6% of the service's CPU under ingest load); cyclic garbage still goes within 50,000 objects.
YOUNG_GENERATION_THRESHOLD = 50_000


class HttpParser(StrEnum):
    """What reads HTTP/1.1 requests in `serve`. Either holds a request's headers to
    RSC_SERVER__MAX_HEADER_BYTES while reading them: httptools (compiled, the default) answers 431, h11 (pure
    Python, slower) answers 400."""

    httptools = "httptools"
    h11 = "h11"


def prepare_collector() -> None:
    """Before serving: what is loaded so far lives as long as the process, so it is kept out of the
    collector's full passes (which would otherwise walk all of it each time, a pause every request shares),
    and the youngest generation is collected less often (docs/architecture.md#14-ingest)."""
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default RSC_SERVER__HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RSC_SERVER__PORT)")] = None,
    jobs: Annotated[bool, typer.Option("--jobs/--no-jobs", help="Also run the periodic jobs")] = True,
    http: Annotated[HttpParser, typer.Option(help="HTTP/1.1 parser")] = HttpParser.httptools,
) -> None:
    """Serve the HTTP API (and, unless --no-jobs, the periodic jobs) in the foreground."""
    import uvicorn

    from rsc_service.app import create_app
    from rsc_service.web.http_protocol import header_capped

    settings = read_settings()
    if not jobs:
        settings.scheduler.enabled = False
    bind_host = host or settings.server.host
    bind_port = port or settings.server.port
    console.print(
        f"rsc-service on http://{bind_host}:{bind_port}  (docs: http://{bind_host}:{bind_port}/docs)"
    )
    application = create_app(settings)
    prepare_collector()
    uvicorn.run(
        application,
        host=bind_host,
        port=bind_port,
        log_config=None,
        access_log=False,
        # Headers over the cap are refused as they are read, never buffered whole (the app's own 431 comes
        # only after that): by the capped protocol on httptools, by this limit on h11.
        http=header_capped(settings.server.max_header_bytes) if http is HttpParser.httptools else "h11",
        h11_max_incomplete_event_size=settings.server.max_header_bytes,
    )


@app.command()
def worker() -> None:
    """Run only the periodic jobs (no HTTP), until SIGTERM or Ctrl-C."""
    from rsc_service import bootstrap
    from rsc_service.scheduler import Scheduler, SchedulerAlreadyRunning

    settings = read_settings()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with bootstrap.running(settings) as service:
            scheduler = Scheduler(service)
            scheduler.start()
            try:
                await stop.wait()
            finally:
                await scheduler.stop()

    prepare_collector()
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

    settings = read_settings()
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
