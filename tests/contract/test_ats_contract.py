"""openapi/ats-api.yaml: valid OpenAPI 3.1, every example matching its schema and the wire models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from rsc_service.integrations.ats import wire

WIRE_MODELS: dict[str, type[BaseModel]] = {
    "Account": wire.Account,
    "Candidate": wire.Candidate,
    "Job": wire.Job,
    "Application": wire.Application,
    "Note": wire.Note,
    "InterviewFeedback": wire.InterviewFeedback,
    "User": wire.User,
    "Email": wire.Email,
    "UserEmail": wire.UserEmail,
    "CandidateCreate": wire.CandidateCreate,
    "ApplicationCreate": wire.ApplicationCreate,
    "NoteCreate": wire.NoteCreate,
    "EmailCreate": wire.EmailCreate,
    "UserEmailCreate": wire.UserEmailCreate,
    "CandidatePage": wire.Page[wire.Candidate],
    "JobPage": wire.Page[wire.Job],
    "ApplicationPage": wire.Page[wire.Application],
    "NotePage": wire.Page[wire.Note],
    "InterviewFeedbackPage": wire.Page[wire.InterviewFeedback],
    "UserPage": wire.Page[wire.User],
}


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def media_examples(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every request body, response and parameter that has an example."""
    for section in ("paths", "webhooks"):
        for path, item in spec[section].items():
            for method, operation in item.items():
                if method == "parameters":
                    continue
                for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
                    param = resolve(spec, param)
                    where = f"{section} {path} {method} param {param['name']}"
                    yield where, param["schema"], param["example"]
                body = operation.get("requestBody", {}).get("content", {})
                for media in body.values():
                    yield f"{section} {path} {method} body", media["schema"], media["example"]
                for status, response in operation["responses"].items():
                    for media in resolve(spec, response).get("content", {}).values():
                        yield f"{section} {path} {method} {status}", media["schema"], media["example"]


class TestDocument:
    def test_is_valid_openapi_3_1(self, ats_contract: dict[str, Any]) -> None:
        validate(ats_contract)

        assert ats_contract["openapi"].startswith("3.1")

    def test_every_operation_has_examples(self, ats_contract: dict[str, Any]) -> None:
        for section in ("paths", "webhooks"):
            for path, item in ats_contract[section].items():
                for method, operation in item.items():
                    if method == "parameters":
                        continue
                    responses = operation["responses"].values()
                    contents = [resolve(ats_contract, r).get("content", {}) for r in responses]
                    contents.append(operation.get("requestBody", {}).get("content", {}))
                    examples = [media.get("example") for content in contents for media in content.values()]
                    assert examples, f"{section} {path} {method} has no example"
                    assert all(example is not None for example in examples), f"{path} {method}"

    def test_webhooks_are_exactly_the_event_types(self, ats_contract: dict[str, Any]) -> None:
        assert set(ats_contract["webhooks"]) == set(wire.EVENT_TYPES)

    def test_creates_require_external_id(self, ats_contract: dict[str, Any]) -> None:
        schemas = ats_contract["components"]["schemas"]
        creates = [name for name in schemas if name.endswith("Create")]

        assert len(creates) == 5
        assert all("external_id" in schemas[name]["required"] for name in creates)

    def test_account_names_the_plans_and_web_origin(self, ats_contract: dict[str, Any]) -> None:
        account = ats_contract["components"]["schemas"]["Account"]
        operation = ats_contract["paths"]["/account"]["get"]

        assert operation["operationId"] == "getAccount"
        assert "security" not in operation  # the document's bearer auth applies
        assert set(operation["responses"]) == {"200", "401"}
        assert account["properties"]["plan"]["enum"] == ["free", "standard", "professional", "enterprise"]
        assert account["properties"]["web_url"]["format"] == "uri"
        web_url = wire.Account.model_json_schema()["properties"]["web_url"]
        assert web_url["pattern"] == account["properties"]["web_url"]["pattern"]

    def test_users_can_be_owners_and_admins(self, ats_contract: dict[str, Any]) -> None:
        levels = ats_contract["components"]["schemas"]["User"]["properties"]["access_level"]["enum"]

        assert {"owner", "admin"} <= set(levels)
        assert set(levels) == set(get_args(wire.AccessLevel))

    def test_calls_need_a_bearer_token(self, ats_contract: dict[str, Any]) -> None:
        assert ats_contract["security"] == [{"bearerAuth": []}]
        assert ats_contract["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


class TestExamples:
    def test_every_example_matches_its_schema(self, ats_contract: dict[str, Any], check_schema: Any) -> None:
        checked = 0
        for where, schema, example in media_examples(ats_contract):
            try:
                check_schema(schema, example)
            except Exception as exc:
                raise AssertionError(f"{where}: {exc}") from exc
            checked += 1

        assert checked > 100

    def test_schema_examples_match_their_schema(
        self, ats_contract: dict[str, Any], check_schema: Any
    ) -> None:
        schemas = ats_contract["components"]["schemas"]
        with_examples = {name: schema for name, schema in schemas.items() if "examples" in schema}

        for name, schema in with_examples.items():
            for example in schema["examples"]:
                check_schema({"$ref": f"#/components/schemas/{name}"}, example)
        assert len(with_examples) >= 8

    def test_examples_parse_with_the_wire_models(self, ats_contract: dict[str, Any]) -> None:
        parsed = 0
        for where, schema, example in media_examples(ats_contract):
            name = schema.get("$ref", "").rsplit("/", 1)[-1]
            if name in WIRE_MODELS:
                model = WIRE_MODELS[name].model_validate(example)
                assert model.model_dump(mode="json", exclude_unset=True) == example, where
                parsed += 1

        assert parsed >= 20

    @pytest.mark.parametrize(
        "name", ["Account", "Candidate", "Job", "Application", "Note", "InterviewFeedback", "User"]
    )
    def test_wire_records_and_schemas_name_the_same_fields(
        self, ats_contract: dict[str, Any], name: str
    ) -> None:
        schema = ats_contract["components"]["schemas"][name]

        assert set(schema["properties"]) == set(WIRE_MODELS[name].model_fields)
