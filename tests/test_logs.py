"""Logs carry ids, never credentials, emails or message bodies; JSON lines in production."""

from __future__ import annotations

import json

import pytest
import structlog

from rsc_service import logs
from rsc_service.settings import Environment, LoggingSettings


@pytest.fixture
def json_logs() -> None:
    logs.configure_logging(LoggingSettings(format="json"), Environment.PRODUCTION)  # type: ignore[arg-type]


class TestLogs:
    def test_production_writes_json_with_bound_ids(
        self, json_logs: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        logs.clear()
        logs.bind(request_id="r-1", tenant_id="t-1")
        structlog.get_logger().info("outbox.batch_settled", sent=3)
        logs.clear()

        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])

        assert line["event"] == "outbox.batch_settled"
        assert line["request_id"] == "r-1"
        assert line["tenant_id"] == "t-1"
        assert line["sent"] == 3
        assert line["level"] == "info"

    def test_secrets_and_personal_data_are_redacted(
        self, json_logs: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        structlog.get_logger().warning(
            "ats.call_failed",
            authorization="Bearer abc.def",
            client_secret="sim-customer-secret",
            email="ada@example.com",
            body="Hi Ada, about the role...",
            detail="rejected whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw for ada@example.com",
            headers={"Authorization": "Bearer xyz", "accept": "json"},
        )

        out = capsys.readouterr().err
        for leaked in ("abc.def", "sim-customer-secret", "ada@example.com", "Hi Ada", "whsec_Mf", "xyz"):
            assert leaked not in out
        line = json.loads(out.strip().splitlines()[-1])
        assert line["headers"]["accept"] == "json"
        assert line["detail"].startswith("rejected [redacted]")

    def test_development_writes_console_lines(self, capsys: pytest.CaptureFixture[str]) -> None:
        logs.configure_logging(LoggingSettings(), Environment.DEVELOPMENT)
        structlog.get_logger().info("scheduler.started", jobs=2)
        err = capsys.readouterr().err
        assert "scheduler.started" in err
        assert not err.strip().startswith("{")
