"""Connect before alert between the fake ATS and the LinkedIn simulator: the pull's world."""

# The pull's fixtures (tenant, seats, both simulators, app), as tests/linkedin_activity takes them.
from tests.pull.conftest import *  # noqa: F403
