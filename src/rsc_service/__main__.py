"""`python -m rsc_service` runs the CLI."""

from rsc_service.cli import main

main()
