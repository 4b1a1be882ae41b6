"""The pull's world (both simulators, an active tenant with seats 3001-3003 on one contract) in which the pull
has written LinkedIn notes and InMails on ATS candidates, read back through the ATS-facing routes."""

from __future__ import annotations

from tests.pull.conftest import (  # noqa: F401 - fixtures shared with the pull
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
