"""`rsc-service demo`: both simulators beside the service, and one live change."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from rsc_service.cli.base import app, console

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
