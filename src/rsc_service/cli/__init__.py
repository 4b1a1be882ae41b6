"""The `rsc-service` command: thin wrappers that read settings, build a context, and call the service.

One module per command group; importing them registers their commands on the root app.
"""

from __future__ import annotations

import sys

from rsc_service.cli import backfill, demo, keys, process, pull, simulate, sync, tenants
from rsc_service.cli.base import app, console, database_unreachable, schema_behind_exit, unreachable_exit
from rsc_service.cli.process import OPENAPI_PATH, openapi_document
from rsc_service.errors import schema_behind
from rsc_service.settings import SettingsError

__all__ = [
    "OPENAPI_PATH",
    "app",
    "backfill",
    "demo",
    "keys",
    "main",
    "openapi_document",
    "process",
    "pull",
    "simulate",
    "sync",
    "tenants",
]


def main() -> None:
    try:
        app()
    except SettingsError as error:  # settings read outside settings(), e.g. by the app factory
        console.print(f"[red]{error}[/red]")
        sys.exit(2)
    except Exception as error:  # a database unreachable or not migrated is an operator's fix, not a traceback
        if database_unreachable(error):
            unreachable_exit(error)
        if schema_behind(error):
            schema_behind_exit(error)
        raise
