"""Fixtures for the ATS contract tests: the parsed openapi/ats-api.yaml and a schema validator for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "openapi" / "ats-api.yaml"
SPEC_URI = "urn:rsc-service:ats-api"

SchemaCheck = Callable[[dict[str, Any], Any], None]


@pytest.fixture(scope="session")
def ats_contract() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT_PATH.read_text())
    return loaded


@pytest.fixture(scope="session")
def check_schema(ats_contract: dict[str, Any]) -> SchemaCheck:
    """Validate an instance against a schema taken from the contract (local $refs resolve in it)."""
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(ats_contract, default_specification=DRAFT202012)
    )

    def check(schema: dict[str, Any], instance: Any) -> None:
        rooted = _rebase(schema)
        Draft202012Validator(rooted, registry=registry, format_checker=FormatChecker()).validate(instance)

    return check


def _rebase(node: Any) -> Any:
    # Schemas copied out of the document keep `#/components/...` refs; point them at the document.
    if isinstance(node, dict):
        return {
            key: (SPEC_URI + value if key == "$ref" and value.startswith("#") else _rebase(value))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    return node
