"""LinkedIn's official RSC Postman collection passes against the simulator with newman (0 failures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .expectations import EXPECTED, checks
from .harness import collection_path, prepare, receiver, rewrite, run_newman, simulator


class TestPostmanCollection:
    def test_every_request_passes_with_the_documented_status(self, tmp_path: Path) -> None:
        path = collection_path()
        if not path.is_file():
            pytest.fail(
                f"LinkedIn's Postman collection is missing at {path} (set RSC_CONFORMANCE_COLLECTION)"
            )
        collection = json.loads(path.read_text(encoding="utf-8"))
        with receiver() as inbox, simulator(task_completion_seconds=0) as base:
            prepared = prepare(base, inbox)
            report = run_newman(rewrite(collection, base, prepared, checks()), tmp_path)
        run = report["run"]
        failures = [(f["source"]["name"], f["error"]["message"]) for f in run["failures"]]
        assert failures == []
        statuses = {e["item"]["name"]: e.get("response", {}).get("code") for e in run["executions"]}
        assert len(run["executions"]) == len(EXPECTED)
        assert statuses == {name: status for name, (status, _) in EXPECTED.items()}
