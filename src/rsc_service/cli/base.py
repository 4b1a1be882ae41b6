"""The root of the `rsc-service` command, and what its command groups share: the console, settings read
with errors a person can act on, and running async work in a fresh context."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from rsc_service.context import AppContext
from rsc_service.errors import ServiceError
from rsc_service.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, help="LinkedIn Recruiter System Connect beside your ATS.")
console = Console(stderr=True, soft_wrap=True)


def read_settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


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
