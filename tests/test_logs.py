"""Logs carry ids, never credentials, emails or message bodies; JSON lines in production."""

from __future__ import annotations

import json
import logging
import sys

import pytest
import structlog

from rsc_service import logs
from rsc_service.settings import Environment, LogFormat, LoggingSettings


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

    def test_database_url_passwords_names_and_phone_numbers_are_redacted(
        self, json_logs: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        structlog.get_logger().error(
            "db.unreachable",
            error="cannot connect to postgresql+asyncpg://svc:hunter2@db.internal:5432/rsc",
            dsn="postgresql://svc:p@ss@db/rsc?sslmode=require",
            first_name="Zebulonia",
            lastName="Quixtraverse",
            detail="call +44 20 7946 0958 about rsc_Qm9sZWFuQWNjZXNzS2V5MTIzNDU2Nzg",
            retry_at="2026-11-25T12:00:00+00:00",
        )

        out = capsys.readouterr().err
        for leaked in ("hunter2", "p@ss", "Zebulonia", "Quixtraverse", "7946", "rsc_Qm9s"):
            assert leaked not in out
        line = json.loads(out.strip().splitlines()[-1])
        assert line["error"] == "cannot connect to postgresql+asyncpg://svc:***@db.internal:5432/rsc"
        assert line["retry_at"] == "2026-11-25T12:00:00+00:00"  # a timestamp is not a phone number

    def test_in_ats_credentials_and_national_phone_numbers_are_redacted_as_free_text(
        self, json_logs: None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        structlog.get_logger().error(
            "in_ats.refused",
            detail="credential rscin_bG9uZ1JhbmRvbUNyZWRlbnRpYWwx was revoked",
            reason="reply said call (415) 555-0142 or 415.555.0199 or 415-555-0173",
            ids="tenant 8c1e9a2b-1234-5678-9012-abcdef012345 job 20261207 version 1733600000000",
        )

        out = capsys.readouterr().err
        for leaked in ("bG9uZ1Jh", "555-0142", "555.0199", "555-0173"):
            assert leaked not in out, out
        line = json.loads(out.strip().splitlines()[-1])
        # Ids, dates and millisecond times are not phone numbers.
        assert line["ids"] == "tenant 8c1e9a2b-1234-5678-9012-abcdef012345 job 20261207 version 1733600000000"

    def test_library_lines_are_redacted_json_and_drivers_stay_quiet_at_debug(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        logs.configure_logging(LoggingSettings(level="DEBUG", format=LogFormat.JSON), Environment.PRODUCTION)
        try:
            logging.getLogger("httpx").info("GET https://ats.example/api?email=ada@example.com: 200")
            logging.getLogger("aiosqlite").debug("executing INSERT ... ('Ada', 'Lovelace')")
            logging.getLogger("sqlalchemy.engine.Engine").debug("Row ('Ada', 'Lovelace')")
            logging.getLogger("rsc_service.anything").debug("kept at debug")
        finally:
            logging.basicConfig(level=logging.WARNING, stream=sys.__stderr__, force=True)

        lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
        assert [line["logger"] for line in lines] == ["httpx", "rsc_service.anything"]
        assert lines[0]["event"] == "GET https://ats.example/api?email=[redacted]: 200"
        assert lines[1]["level"] == "debug"

    def test_development_writes_console_lines(self, capsys: pytest.CaptureFixture[str]) -> None:
        logs.configure_logging(LoggingSettings(), Environment.DEVELOPMENT)
        structlog.get_logger().info("scheduler.started", jobs=2)
        err = capsys.readouterr().err
        assert "scheduler.started" in err
        assert not err.strip().startswith("{")
