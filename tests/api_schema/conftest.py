"""The service served on a real port over a real database, for the schemathesis run over its document."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api_schema.served import Served, serving

# Operations whose answers broke the document in this run, named once at the end: the test ids of a
# schemathesis run do not always reach pytest's short summary.
failing_routes: set[str] = set()
sent: list[str] = []  # the operation of every generated request, checks' own probes aside


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if sent:
        terminalreporter.write_line(
            f"schemathesis: {len(sent)} generated requests over {len(set(sent))} operations"
        )
    if failing_routes:
        terminalreporter.section("routes whose answers the OpenAPI document does not describe")
        for label in sorted(failing_routes):
            terminalreporter.write_line(label)


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("api-schema")) as running:
        yield running
