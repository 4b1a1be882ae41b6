"""Structured logs: JSON lines in production, console lines in development; ids bound per request or job."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from rsc_service.settings import Environment, LogFormat, LoggingSettings, hide_passwords

_REDACTED = "[redacted]"
# Keys whose values never reach a log line: credentials, and personal data or message bodies
# (docs/architecture.md#16-security).
_SENSITIVE_KEYS = re.compile(
    r"authorization|secret|token|password|passwd|credential|api[_-]?key|cookie|signature"
    r"|email|phone|mobile|(first|last|given|family|middle|full|display)_?name|body|text|content|note|subject",
    re.IGNORECASE,
)
# Values that are redacted wherever they appear, in any key or message (an exception's text, a driver's
# line): signing secrets, bearer credentials, the service's API keys and In-ATS credentials, emails,
# international phone numbers, and national ones written in groups ((415) 555-0142, 415.555.0142; a run of
# digits alone is an id or a time far more often than a phone number, and stays).
_SECRET_VALUES = re.compile(
    r"whsec_[A-Za-z0-9+/=]+"
    r"|Bearer\s+\S+"
    r"|rsc(?:in)?_[A-Za-z0-9_-]{16,}"
    r"|[\w.+-]+@[\w-]+\.[\w.-]+"
    r"|\+\d[\d ().-]{6,}\d"
    r"|(?<![\w-])(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])"
)
# Loggers that write statements' parameters or result rows (mirrored personal data, encrypted secrets) at
# DEBUG: they stay at WARNING whatever the level. RSC_DATABASE__ECHO still shows statements, without
# their parameters.
_QUIET_AT_DEBUG = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool", "httpcore")


def _scrub_text(value: str) -> str:
    # A URL's password goes first: its "user:password@host" would otherwise half match an email.
    return _SECRET_VALUES.sub(_REDACTED, hide_passwords(value))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, Mapping):
        return {k: _REDACTED if _SENSITIVE_KEYS.search(str(k)) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key.startswith("_"):  # structlog's own bookkeeping (the stdlib record), never rendered
            continue
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
    # Lines from libraries (uvicorn, httpx, the drivers) are redacted and rendered like the service's own:
    # one JSON object per line in production, with the request's ids.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in (
        "uvicorn.access",
        "apscheduler.executors.default",
        "apscheduler.scheduler",
        "alembic.runtime.migration",
        *_QUIET_AT_DEBUG,
    ):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def bind(**ids: Any) -> None:
    structlog.contextvars.bind_contextvars(**ids)


def clear() -> None:
    structlog.contextvars.clear_contextvars()
