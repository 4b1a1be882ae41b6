"""The committed OpenAPI document is exactly what the app serves."""

from __future__ import annotations

import json

from fastapi import FastAPI

from rsc_service.cli import OPENAPI_PATH, openapi_document
from tests.processes import ROOT


class TestOpenapiDocument:
    def test_committed_spec_matches_the_app(self) -> None:
        committed = (ROOT / OPENAPI_PATH).read_text()
        assert committed == openapi_document(), "run `make openapi` and commit openapi/rsc-service.json"

    def test_every_error_response_is_problem_json(self, app: FastAPI) -> None:
        spec = app.openapi()
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                for status, response in operation.get("responses", {}).items():
                    if status.startswith(("4", "5")) and status != "422":
                        assert "application/problem+json" in response["content"], (path, method, status)

    def test_operation_ids_are_tag_and_name(self, app: FastAPI) -> None:
        ids = [op["operationId"] for ops in app.openapi()["paths"].values() for op in ops.values()]
        assert "operations-get_health" in ids
        assert len(ids) == len(set(ids))
        assert json.dumps(app.openapi())
