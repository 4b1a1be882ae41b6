"""Typed client for the ATS contract (openapi/ats-api.yaml): cursor-paged reads and idempotent creates.

Transient failures (5xx, 429, timeouts, connection errors) are retried with exponential backoff that
honours Retry-After (in seconds or as an HTTP date; unreadable, it is ignored): a wait the ATS asks for is
waited in full, and one longer than `max_backoff` is not waited at all: the call fails at once with
AtsUnavailable carrying it (`retry_after`), for the caller to come back no earlier. Creates are safe to
retry because each carries an `external_id`. Only the contract's own "not found" (a problem detail with
`code: not_found`) is AtsNotFound; any other 404 (a gateway's or a proxy's, for a route it does not know)
says nothing about the record and is an AtsRejected.

Answers are read up to `max_response_bytes`, and each attempt (connect, send, every byte of the answer)
must finish within the timeout: the ATS is a tenant-configured endpoint, and neither an endless body nor
one dripped a byte at a time (which resets httpx's per-phase timeouts on every chunk) may fill memory or
hold a caller forever (docs/architecture.md#16-security). Whatever the ATS answers, a call ends in a result
or an AtsError: an answer that cannot be decoded or parsed is an AtsProtocolError saying what was wrong
with it, and so is a request that cannot be sent at all (a token no header can carry), without the value.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pydantic_core
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from rsc_service.integrations.ats import records as wire
from rsc_service.integrations.ats.errors import (
    AtsNotFound,
    AtsProtocolError,
    AtsRejected,
    AtsUnavailable,
)
from rsc_service.integrations.refusals import lone_surrogate, refused_fields

ModelT = TypeVar("ModelT", bound=BaseModel)
Params = Mapping[str, str | int | bool | datetime | None]

DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
# Numbers in headers are read up to this many significant digits; a longer one counts as 10**_DIGITS_READ,
# more than any body or wait (and int() refuses strings over 4,300 digits).
_DIGITS_READ = 18
# The problem code of the contract's 404 (openapi/ats-api.yaml, NotFound): the record does not exist.
NOT_FOUND_CODE = "not_found"


class _TooLarge(Exception):
    pass


class _Undecodable(Exception):
    pass


class _Transient(Exception):
    def __init__(self, message: str, *, status: int | None = None, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


class AtsClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        token: str,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        page_size: int = 100,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        timeout: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        before_first_call: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`timeout` (seconds) bounds each attempt as a whole, from waiting for a connection to the last byte
        of the answer, as well as each of its phases; it overrides the HTTP client's default. Without it,
        the whole attempt is bounded by the longest of the HTTP client's own phase timeouts (not at all if
        one of them is unbounded). A retry gets a deadline of its own; the backoff before it is not counted.

        `before_first_call` is awaited before the first request, and before each later one until it has
        succeeded once; it raises an AtsError to fail that call (the service vets the base URL there).
        """
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._retries, self._backoff, self._max_backoff = retries, backoff, max_backoff
        self._page_size = page_size
        self._sleep = sleep
        self._timeout = timeout
        self._deadline = timeout if timeout is not None else _longest_phase(http.timeout)
        self._max_response_bytes = max_response_bytes
        self._before_first_call = before_first_call

    # --- reads ---------------------------------------------------------------------------------------

    def list_candidates(
        self,
        *,
        updated_since: datetime | None = None,
        include_deleted: bool = False,
    ) -> AsyncIterator[wire.Candidate]:
        params = {"updated_since": updated_since, "include_deleted": include_deleted}
        return self._walk("/candidates", wire.Page[wire.Candidate], params)

    def list_jobs(
        self,
        *,
        updated_since: datetime | None = None,
        include_deleted: bool = False,
        status: str | None = None,
    ) -> AsyncIterator[wire.Job]:
        params = {"updated_since": updated_since, "include_deleted": include_deleted, "status": status}
        return self._walk("/jobs", wire.Page[wire.Job], params)

    def list_applications(
        self,
        *,
        updated_since: datetime | None = None,
        include_deleted: bool = False,
        candidate_id: str | None = None,
        job_id: str | None = None,
    ) -> AsyncIterator[wire.Application]:
        params = {
            "updated_since": updated_since,
            "include_deleted": include_deleted,
            "candidate_id": candidate_id,
            "job_id": job_id,
        }
        return self._walk("/applications", wire.Page[wire.Application], params)

    def list_notes(
        self,
        *,
        updated_since: datetime | None = None,
        include_deleted: bool = False,
        candidate_id: str | None = None,
        application_id: str | None = None,
    ) -> AsyncIterator[wire.Note]:
        params = {
            "updated_since": updated_since,
            "include_deleted": include_deleted,
            "candidate_id": candidate_id,
            "application_id": application_id,
        }
        return self._walk("/notes", wire.Page[wire.Note], params)

    def list_interview_feedback(
        self,
        *,
        updated_since: datetime | None = None,
        include_deleted: bool = False,
        candidate_id: str | None = None,
        job_id: str | None = None,
        application_id: str | None = None,
    ) -> AsyncIterator[wire.InterviewFeedback]:
        params = {
            "updated_since": updated_since,
            "include_deleted": include_deleted,
            "candidate_id": candidate_id,
            "job_id": job_id,
            "application_id": application_id,
        }
        return self._walk("/interview_feedback", wire.Page[wire.InterviewFeedback], params)

    def list_users(
        self,
        *,
        updated_since: datetime | None = None,
        include_deleted: bool = False,
    ) -> AsyncIterator[wire.User]:
        params = {"updated_since": updated_since, "include_deleted": include_deleted}
        return self._walk("/users", wire.Page[wire.User], params)

    async def get_candidate(self, candidate_id: str) -> wire.Candidate:
        return await self._get(f"/candidates/{_segment(candidate_id)}", wire.Candidate)

    async def get_job(self, job_id: str) -> wire.Job:
        return await self._get(f"/jobs/{_segment(job_id)}", wire.Job)

    async def get_application(self, application_id: str) -> wire.Application:
        return await self._get(f"/applications/{_segment(application_id)}", wire.Application)

    async def get_note(self, note_id: str) -> wire.Note:
        return await self._get(f"/notes/{_segment(note_id)}", wire.Note)

    async def get_email(self, email_id: str) -> wire.Email:
        return await self._get(f"/emails/{_segment(email_id)}", wire.Email)

    async def get_interview_feedback(self, feedback_id: str) -> wire.InterviewFeedback:
        return await self._get(f"/interview_feedback/{_segment(feedback_id)}", wire.InterviewFeedback)

    async def get_user(self, user_id: str) -> wire.User:
        return await self._get(f"/users/{_segment(user_id)}", wire.User)

    async def get_account(self) -> wire.Account:
        """The account the token belongs to: its plan and the origin where its users work."""
        return await self._get("/account", wire.Account)

    # --- idempotent creates ----------------------------------------------------------------------------

    async def create_candidate(self, body: wire.CandidateCreate) -> wire.Candidate:
        return await self._create("/candidates", body, wire.Candidate)

    async def assign_candidate(self, candidate_id: str, body: wire.ApplicationCreate) -> wire.Application:
        return await self._create(
            f"/candidates/{_segment(candidate_id)}/applications", body, wire.Application
        )

    async def create_note(self, candidate_id: str, body: wire.NoteCreate) -> wire.Note:
        return await self._create(f"/candidates/{_segment(candidate_id)}/notes", body, wire.Note)

    async def create_email(self, candidate_id: str, body: wire.EmailCreate) -> wire.Email:
        return await self._create(f"/candidates/{_segment(candidate_id)}/emails", body, wire.Email)

    async def send_user_email(self, user_id: str, body: wire.UserEmailCreate) -> wire.UserEmail:
        return await self._create(f"/users/{_segment(user_id)}/emails", body, wire.UserEmail)

    # --- withdrawals, by external_id (idempotent) --------------------------------------------------------

    async def withdraw_note(self, external_id: str) -> wire.Note:
        """Delete the note created with `external_id` (AtsNotFound when there is none)."""
        answer = await self._send("POST", "/notes/withdraw", json={"external_id": external_id})
        return _parse(wire.Note, answer)

    async def withdraw_email(self, external_id: str) -> wire.Email:
        """Delete the email created with `external_id` (AtsNotFound when there is none)."""
        answer = await self._send("POST", "/emails/withdraw", json={"external_id": external_id})
        return _parse(wire.Email, answer)

    async def page(
        self, path: str, page_model: type[wire.Page[ModelT]], params: Mapping[str, str]
    ) -> wire.Page[ModelT]:
        """One page of a list, with its `next_cursor`: for a walk that saves where it is and resumes there
        (`params` carries `cursor` and `limit` as the contract names them)."""
        return _parse(page_model, await self._send("GET", path, params=dict(params)))

    # --- plumbing -------------------------------------------------------------------------------------

    async def _walk(
        self, path: str, page_model: type[wire.Page[ModelT]], params: Params
    ) -> AsyncIterator[ModelT]:
        query = _query(params) | {"limit": str(self._page_size)}
        while True:
            page = _parse(page_model, await self._send("GET", path, params=query))
            for record in page.data:
                yield record
            if not page.next_cursor:
                return
            query["cursor"] = page.next_cursor

    async def _get(self, path: str, model: type[ModelT]) -> ModelT:
        return _parse(model, await self._send("GET", path))

    async def _create(self, path: str, body: BaseModel, model: type[ModelT]) -> ModelT:
        payload = body.model_dump(mode="json", exclude_none=True)
        return _parse(model, await self._send("POST", path, json=payload))

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self._before_first_call is not None:
            await self._before_first_call()
            self._before_first_call = None
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries + 1),
            wait=self._wait,
            retry=retry_if_exception(self._retried),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, **kwargs)
        except _Transient as exc:
            message = f"{method} {path}: {exc}"
            if exc.retry_after > self._max_backoff:
                message += f" (asks to wait {exc.retry_after:.0f} s, longer than this client waits)"
            raise AtsUnavailable(message, status=exc.status, retry_after=exc.retry_after or None) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self._timeout is not None:
            kwargs["timeout"] = self._timeout
        try:
            request = self._http.build_request(method, self._base + path, headers=self._headers, **kwargs)
        except (UnicodeEncodeError, httpx.InvalidURL) as exc:
            # Not transient: the same token or URL cannot be sent next time either. The value is not named.
            raise AtsProtocolError(
                f"{method} {path}: the request cannot be sent ({type(exc).__name__}: the token or the URL "
                "holds what HTTP cannot carry)"
            ) from None
        try:
            # httpx's timeouts are per phase and start again with every chunk; this one bounds the attempt.
            async with asyncio.timeout(self._deadline):
                response = await self._exchange(request)
        except TimeoutError as exc:
            raise _Transient(f"timed out (no full answer within {self._deadline} s)") from exc
        except httpx.TimeoutException as exc:
            raise _Transient(f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Transient(f"connection failed ({type(exc).__name__})") from exc
        except _TooLarge:
            # Not transient: the same request would fetch the same oversized answer again.
            raise AtsProtocolError(
                f"{method} {path}: answer larger than {self._max_response_bytes} bytes"
            ) from None
        except _Undecodable:
            # Not transient either: the same bytes would fail the same way.
            raise AtsProtocolError(
                f"{method} {path}: answer body does not decode as its Content-Encoding declares"
            ) from None
        status = response.status_code
        if status >= 400:
            problem = _problem(response)
            gone = status == 404 and problem is not None and problem.get("code") == NOT_FOUND_CODE
            error = AtsNotFound if gone else AtsRejected
            raise error(status, problem, text=response.text if problem is None else "")
        return response

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """The response with its body read, or _Transient for a retryable status (body left unread)."""
        streamed = await self._http.send(request, stream=True)
        try:
            status = streamed.status_code
            if status == 429 or status >= 500:
                raise _Transient(f"ATS answered {status}", status=status, retry_after=_retry_after(streamed))
            return await _read_capped(streamed, self._max_response_bytes)
        finally:
            await streamed.aclose()

    def _retried(self, failure: BaseException) -> bool:
        """A transient failure is tried again, unless the ATS asked for a wait longer than this client's
        longest: no request goes before the time the ATS gave (docs/pull.md#exactly-once)."""
        return isinstance(failure, _Transient) and failure.retry_after <= self._max_backoff

    def _wait(self, state: RetryCallState) -> float:
        exponential = min(self._max_backoff, self._backoff * 2.0 ** (state.attempt_number - 1))
        failure = state.outcome.exception() if state.outcome is not None else None
        retry_after = failure.retry_after if isinstance(failure, _Transient) else 0.0
        return max(exponential, retry_after)  # within max_backoff: a longer one is not retried


async def _read_capped(response: httpx.Response, limit: int) -> httpx.Response:
    """The response with its body read, refusing bodies over `limit` bytes before they fill memory."""
    declared = _ascii_digits(response.headers.get("content-length", ""))
    if declared is not None and "content-encoding" not in response.headers and declared > limit:
        raise _TooLarge
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():  # decoded bytes: a compressed bomb counts at full size
            body += chunk
            if len(body) > limit:
                raise _TooLarge
    except httpx.DecodingError:
        raise _Undecodable from None
    # The body is decoded already, so the rebuilt response must not claim an encoding.
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    return httpx.Response(
        response.status_code, headers=headers, content=bytes(body), request=response.request
    )


def _longest_phase(timeout: httpx.Timeout) -> float | None:
    phases = [t for t in (timeout.connect, timeout.read, timeout.write, timeout.pool) if t is not None]
    return max(phases) if len(phases) == 4 else None


def _segment(value: str) -> str:
    return quote(value, safe="")


def _query(params: Params) -> dict[str, str]:
    query: dict[str, str] = {}
    for key, value in params.items():
        if value is None or value is False:
            continue
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            query[key] = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        else:
            query[key] = "true" if value is True else str(value)
    return query


def _parse(model: type[ModelT], response: httpx.Response) -> ModelT:
    where = f"{response.request.method} {response.request.url.path}"
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        if not lone_surrogate(exc):
            raise AtsProtocolError(f"{where}: {refused_fields(exc)}") from None  # the cause holds the values
    # JSON allows an escaped lone surrogate, which the fast parser refuses for the whole answer: read it with
    # Python's, so only the records that hold one are refused when they are stored (mirror/changes.py).
    try:
        return model.model_validate(json.loads(response.content))
    except ValidationError as exc:
        raise AtsProtocolError(f"{where}: {refused_fields(exc)}") from None
    except (ValueError, RecursionError):
        raise AtsProtocolError(f"{where}: (the body): Invalid JSON") from None


def _problem(response: httpx.Response) -> dict[str, Any] | None:
    """The problem detail of an error answer, if its body is a JSON object. Parsed as `_parse` parses, with a
    bounded nesting depth: a deeply nested body is no problem detail, where Python's parser would recurse
    until RecursionError."""
    try:
        body = pydantic_core.from_json(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _retry_after(response: httpx.Response) -> float:
    """Seconds the ATS asks to wait, as seconds or an HTTP date; 0 when absent, past or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    seconds = _ascii_digits(value)
    if seconds is not None:
        return float(seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):  # a year or an offset out of range overflows
        return 0.0
    moment = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _ascii_digits(value: str) -> int | None:
    """The number `value` writes in ASCII digits only, or None: str.isdigit() also accepts the likes of
    "²", which int() and float() refuse."""
    if not (value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0") or "0"
    return int(digits) if len(digits) <= _DIGITS_READ else 10**_DIGITS_READ
