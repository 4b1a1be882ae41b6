"""The root of the `rsc-service` command, and what its command groups share: the console, settings read
with errors a person can act on, and running async work in a fresh context."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from rsc_service import errors, logs
from rsc_service.context import AppContext
from rsc_service.errors import ServiceError
from rsc_service.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

# A traceback never shows its frames' variables: they hold records, emails and secrets.
app = typer.Typer(
    no_args_is_help=True,
    help="LinkedIn Recruiter System Connect beside your ATS.",
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True, soft_wrap=True)
EXIT_DATABASE_UNREACHABLE = 3
EXIT_SCHEMA_BEHIND = 1


def read_settings(**overrides: object) -> Settings:
    """The settings, and every command's logs configured from them: redacted, to stderr (stdout is output)."""
    try:
        settings = load_settings(**overrides)
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    logs.configure_logging(settings.logging, settings.environment)
    return settings


def database_unreachable(error: BaseException) -> bool:
    """Whether a command failed because the database cannot be reached: a driver's connection error, or a
    socket's (refused, reset, timed out, an unknown host), not any OSError (a file that cannot be written)."""
    if isinstance(error, OSError):
        return isinstance(error, ConnectionError | TimeoutError | socket.gaierror)
    return errors.database_unreachable(error)


def schema_behind_exit(error: BaseException) -> NoReturn:
    # Exit 1, as `migrate --check` does for a database behind head.
    console.print(
        f"[red]the database schema is not at head ({type(error).__name__}: a table or column is missing): "
        "run `rsc-service migrate`, then the command again[/red]"
    )
    raise SystemExit(EXIT_SCHEMA_BEHIND)


def unreachable_exit(error: BaseException) -> NoReturn:
    console.print(
        f"[red]the database cannot be reached ({type(error).__name__}): check RSC_DATABASE__URL and that the "
        "server is up, then run the command again[/red]"
    )
    raise SystemExit(EXIT_DATABASE_UNREACHABLE)


def run_in_context(settings: Settings, work: Callable[[AppContext], Awaitable[T]]) -> T:
    from rsc_service.context import open_context

    async def run() -> T:
        async with open_context(settings) as ctx:
            return await work(ctx)

    try:
        return asyncio.run(run())
    except ServiceError as error:
        console.print(f"[red]{error.detail or error}[/red]")
        raise typer.Exit(1) from None


def print_record(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    for key, value in data.items():
        console.print(f"[bold]{key:28}[/bold] {value}")
