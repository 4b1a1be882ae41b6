"""The seats world (a tenant on the fake ATS and the LinkedIn simulator, the service app) for the tab."""

from tests.flows.conftest import ctx_li, dispatcher, linkedin_http, linkedin_sim, sim_config  # noqa: F401
from tests.seats.conftest import app, ats_sim, ctx_seats, service_asgi, tenancy  # noqa: F401
