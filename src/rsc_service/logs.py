"""Structured logs: JSON lines in production, console lines in development; ids bound per request or job."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from rsc_service.settings import Environment, LogFormat, LoggingSettings

_REDACTED = "[redacted]"
# Keys whose values never reach a log line: credentials, and personal data or message bodies.
_SENSITIVE_KEYS = re.compile(
    r"authorization|secret|token|password|api_key|cookie|email|phone|body|text|content", re.IGNORECASE
)
_SECRET_VALUES = re.compile(r"whsec_[A-Za-z0-9+/=]+|Bearer\s+\S+|[\w.+-]+@[\w-]+\.[\w.-]+")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _SECRET_VALUES.sub(_REDACTED, value)
    if isinstance(value, Mapping):
        return {k: _REDACTED if _SENSITIVE_KEYS.search(str(k)) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key == "event":
            event_dict[key] = _scrub(event_dict[key])
        elif _SENSITIVE_KEYS.search(key):
            event_dict[key] = _REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    # Looked up at each logger's creation, so a replaced sys.stderr (tests, daemons) is honoured.
    return structlog.PrintLogger(sys.stderr)


def configure_logging(settings: LoggingSettings, environment: Environment) -> None:
    use_json = settings.format is LogFormat.JSON or (
        settings.format is LogFormat.AUTO and environment is Environment.PRODUCTION
    )
    renderer: Any = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]
    level = logging.getLevelName(settings.level)
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s", force=True)
    for noisy in (
        "uvicorn.access",
        "apscheduler.executors.default",
        "apscheduler.scheduler",
        "alembic.runtime.migration",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def bind(**ids: Any) -> None:
    structlog.contextvars.bind_contextvars(**ids)


def clear() -> None:
    structlog.contextvars.clear_contextvars()
