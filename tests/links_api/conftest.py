"""Connect before alert between the fake ATS and the LinkedIn simulator: the pull's wired world."""

from tests.pull.conftest import (  # noqa: F401 - the pull's fixtures: tenant, seats, both simulators, app
    Pull,
    app,
    ats_sim,
    ctx_li,
    ctx_seats,
    dispatcher,
    linkedin_http,
    linkedin_sim,
    pull,
    service_asgi,
    sim_config,
    tenancy,
)
