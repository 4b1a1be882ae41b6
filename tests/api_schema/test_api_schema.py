"""Generated requests over the service's whole OpenAPI document, each with the credentials its real caller
sends, against the running service and a real database: every answer is one the document describes
(status, content type, body, headers), what the document allows is accepted and what it forbids is refused,
and OPTIONS and 405 name exactly the methods a path has."""

from __future__ import annotations

import json
from typing import Any

import hypothesis
import requests
import schemathesis
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import positive_data_acceptance

from rsc_service.cli.process import openapi_document
from tests.api_schema.conftest import failing_routes, sent
from tests.api_schema.served import Credentials, Served
from tests.conftest import ADMIN_TOKEN

SEED = 20261206
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Bounded so CI time stays predictable: per operation, at most this many fuzzed cases besides the
# examples and the coverage phase's boundary cases.
MAX_EXAMPLES = 12
STATEFUL_STEPS = 12
STATEFUL_SCENARIOS = 15
STATEFUL_SETTINGS: dict[str, Any] = {
    "stateful_step_count": STATEFUL_STEPS,
    "deadline": None,
    "database": None,
    "derandomize": True,  # the fixed seed of the stateful walk
    "suppress_health_check": list(hypothesis.HealthCheck),
}
# A valid request can still be refused for the state it meets: a tenant that is not in the stage the step
# needs (409), an ATS or LinkedIn answer the route needed (502), a deactivated tenant's webhooks (410).
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx"]

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "request-timeout": 60,  # a loaded CI machine is slow, not wrong
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        # The walk follows links with valid requests; invalid ones are the per-operation run's.
        "phases": {"stateful": {"max-steps": STATEFUL_STEPS, "generation": {"mode": "positive"}}},
        "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
    }
)
# The document `rsc-service openapi` writes (tests/test_openapi.py keeps the committed copy equal to it).
schema = schemathesis.openapi.from_dict(json.loads(openapi_document()), config=CONFIG)


def credentials_for(case: Any, served: Served) -> dict[str, str]:
    """The Authorization its real caller sends on this route; signatures are added as the request leaves."""
    path: str = case.path
    if path.startswith("/v1/admin"):
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if path.startswith("/v1/integration"):
        return {"Authorization": f"Bearer {served.caller.api_key}"}
    if path.startswith("/v1/in-ats"):
        return {"Authorization": f"Bearer {_in_ats_credential(served)}"}
    return {}


_IN_ATS: dict[str, str] = {}


def _in_ats_credential(served: Served) -> str:
    """LinkedIn's side's credential for the calling tenant, read back once through the operator API (the
    admin routes act on the other tenant, so nothing rotates it meanwhile)."""
    key = served.caller.key
    if key not in _IN_ATS:
        with served.admin() as admin:
            answer = admin.get(f"/v1/admin/tenants/{key}/in-ats/credential")
        assert answer.status_code == 200, answer.text
        _IN_ATS[key] = answer.json()["credential"]
    return _IN_ATS[key]


def aim(case: Any, served: Served) -> None:
    """Name a tenant that exists: the admin routes act on one of their own (they may delete or deactivate
    it), the ATS's and LinkedIn's callbacks on the calling tenant. A generated key that is invalid stays."""
    if "tenant_key" not in case.path_parameters:
        return
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return
    own = served.operated if case.path.startswith("/v1/admin") else served.caller
    case.path_parameters["tenant_key"] = own.key


# Refusals of a well-formed request for what the ATS's or LinkedIn's data says (an ATS user who is not an
# admin, a contract LinkedIn does not know, a sign-in that is unknown or expired): no schema can say them.
STATE_REFUSALS = {"requirements_unmet", "sign_in_expired"}


def valid_requests_accepted(ctx: CheckContext, response: Response, case: Any) -> bool | None:
    """positive_data_acceptance, but a refusal whose `code` is one of STATE_REFUSALS is not about the
    request's shape."""
    if response.status_code in (400, 422) and _code(response) in STATE_REFUSALS:
        return None
    return positive_data_acceptance(ctx, response, case)


def _code(response: Response) -> object:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


# How a message is framed is the HTTP client's to say, not a parameter of any route: a fuzzed
# `Transfer-Encoding: y+W` is refused by the HTTP server (a plain 400) before the application sees it.
FRAMING_HEADERS = {"transfer-encoding", "content-length", "connection", "host", "te", "trailer", "upgrade"}


def call_and_validate(case: Any, served: Served) -> None:
    aim(case, served)
    for name in [name for name in case.headers or {} if name.lower() in FRAMING_HEADERS]:
        del case.headers[name]
    sent.append(case.operation.label)
    with requests.Session() as session:
        session.auth = Credentials(served)
        try:
            case.call_and_validate(
                base_url=served.url,
                session=session,
                headers=credentials_for(case, served),
                excluded_checks=[positive_data_acceptance],
                additional_checks=[valid_requests_accepted],
            )
        except BaseException as failure:  # schemathesis's FailureGroup is a BaseExceptionGroup
            failing_routes.add(case.operation.label)  # listed at the end of the run (conftest.py)
            failure.add_note(f"route: {case.operation.label}")
            raise


@schema.parametrize()
def test_every_route_answers_as_documented(case: Any, served: Served) -> None:
    call_and_validate(case, served)


def test_what_one_route_creates_the_linked_routes_read(served: Served) -> None:
    """The document's links (a registration's `key` → the per-tenant admin routes) walked as a state machine:
    each step's answer is checked as above, against the tenant the previous step created."""
    linked = schema.include(path_regex=r"^/v1/admin/tenants").as_state_machine()
    reached: list[tuple[str, int]] = []  # (operation, status) of each linked step on a tenant the walk made
    fixed = {served.caller.key, served.operated.key}
    with requests.Session() as session:
        session.auth = Credentials(served)

        class Walk(linked):  # type: ignore[misc, valid-type]
            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"base_url": served.url, "session": session, "headers": credentials_for(case, served)}

            def setup(self) -> None:
                self.registered: list[str] = []

            def teardown(self) -> None:
                # Each scenario starts from the same server: Hypothesis replays a scenario's first steps
                # when it explores from them, and a registration that now meets its twin (409) would empty
                # the bundle the next step draws from.
                for key in self.registered:
                    gone = session.delete(f"{served.url}/v1/admin/tenants/{key}", headers=ADMIN)
                    assert gone.status_code in (204, 404), gone.text  # 404: a step of the walk deleted it

            def after_call(self, response: Any, case: Any) -> None:
                super().after_call(response, case)
                sent.append(case.operation.label)
                if case.operation.label == "POST /v1/admin/tenants" and response.status_code == 201:
                    self.registered.append(response.json()["key"])
                key = case.path_parameters.get("tenant_key") if case.path_parameters else None
                if key is not None and key not in fixed and key.startswith("tn_"):
                    reached.append((case.operation.label, response.status_code))

            def validate_response(self, response: Any, case: Any, *_: Any, **kwargs: Any) -> None:
                case.validate_response(
                    response,
                    excluded_checks=[positive_data_acceptance],
                    additional_checks=[valid_requests_accepted],
                    headers=kwargs.get("headers"),
                    transport_kwargs=kwargs,
                )

        Walk.run(settings=hypothesis.settings(max_examples=STATEFUL_SCENARIOS, **STATEFUL_SETTINGS))
    # The walk did follow the links: routes answered about tenants it had just registered.
    assert any(200 <= status < 300 for _, status in reached), reached
    assert {label for label, _ in reached} >= {"GET /v1/admin/tenants/{tenant_key}"}, reached
