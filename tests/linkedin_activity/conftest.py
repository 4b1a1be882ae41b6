"""The pull's world (both simulators, an active tenant with seats 3001-3003 on one contract) in which the pull
has written LinkedIn notes and InMails on ATS candidates, read back through the ATS-facing routes."""

# The pull's fixtures, with those it shares with the seat flows, as tests/links_api/conftest.py takes them.
from tests.pull.conftest import *  # noqa: F403
