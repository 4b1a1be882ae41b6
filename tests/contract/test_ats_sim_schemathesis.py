"""Generated requests against the fake ATS: every answer has a documented status, content type and schema."""

from __future__ import annotations

from typing import Any

import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rsc_service.simulators.ats.app import create_app
from rsc_service.simulators.ats.config import AtsSimConfig, SeedOptions
from tests.contract.conftest import CONTRACT_PATH

TOKEN = "schemathesis-token"


def _schema() -> Any:
    spec = yaml.safe_load(CONTRACT_PATH.read_text())
    spec["servers"] = [{"url": "/"}]  # the fake ATS serves the contract at its root
    loaded = schemathesis.openapi.from_dict(spec)
    loaded.app = create_app(AtsSimConfig(api_tokens=[TOKEN], seed=SeedOptions(seed=5, jobs=3, candidates=10)))
    return loaded


schema = _schema()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_fake_ats_answers_within_the_contract(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
