"""An ATS answering what the contract never allows (headers no parser reads, bodies no decoder or JSON parser
takes): every kind of call ends in an AtsError saying what was wrong, never another exception."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
from tests.integrations.ats.conftest import BASE, USER, Sleeps

from rsc_service.integrations.ats import AtsClient, errors, wire

NESTED_ARRAYS = b"[" * 100_000 + b"]" * 100_000
NESTED_OBJECTS = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


def answer(status: int, headers: dict[bytes, bytes], body: bytes = b"") -> Callable[[], httpx.Response]:
    # A stream rather than content, so the body reaches the client as sent (httpx decodes content at once).
    return lambda: httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


async def listed(client: AtsClient) -> list[wire.User]:
    return [user async for user in client.list_users()]


NOTE = wire.NoteCreate(external_id="n:1", body="hi", written_at=datetime(2026, 3, 2, tzinfo=UTC))
CALLS: dict[str, Callable[[AtsClient], Awaitable[object]]] = {
    "list_users": listed,
    "page": lambda c: c.page("/users", wire.Page[wire.User], {"limit": "10"}),
    "get_user": lambda c: c.get_user("usr_1"),
    "get_account": lambda c: c.get_account(),
    "create_note": lambda c: c.create_note("cand_1", NOTE),
    "withdraw_note": lambda c: c.withdraw_note("n:1"),
}

# name: (the answer, the error, what its message says)
HOSTILE: dict[str, tuple[Callable[[], httpx.Response], type[errors.AtsError], str]] = {
    "503, Retry-After a superscript two": (
        answer(503, {b"Retry-After": b"\xb2"}),
        errors.AtsUnavailable,
        "ATS answered 503",
    ),
    "429, Retry-After a date whose year overflows": (
        answer(429, {b"Retry-After": b"Fri, 31 Dec 99999999999 23:59:59 GMT"}),
        errors.AtsUnavailable,
        "ATS answered 429",
    ),
    "503, Retry-After a date whose offset overflows": (
        answer(503, {b"Retry-After": b"Fri, 31 Dec 9999 23:59:59 +99999999999999999999"}),
        errors.AtsUnavailable,
        "ATS answered 503",
    ),
    "200, gzip that is not gzip": (
        answer(200, {b"Content-Encoding": b"gzip"}, b"not gzip at all"),
        errors.AtsProtocolError,
        "answer body does not decode as its Content-Encoding declares",
    ),
    "422, deflate that is not deflate": (
        answer(422, {b"Content-Encoding": b"deflate"}, b"not deflate at all"),
        errors.AtsProtocolError,
        "answer body does not decode as its Content-Encoding declares",
    ),
    "400, JSON nested 100,000 deep": (
        answer(400, {b"Content-Type": b"application/problem+json"}, NESTED_ARRAYS),
        errors.AtsRejected,
        "ATS answered 400",
    ),
    "404, JSON nested 100,000 deep": (  # no problem detail, so not the contract's not_found either
        answer(404, {b"Content-Type": b"application/problem+json"}, NESTED_OBJECTS),
        errors.AtsRejected,
        "ATS answered 404",
    ),
    "200, arrays nested 100,000 deep": (
        answer(200, {b"Content-Type": b"application/json"}, NESTED_ARRAYS),
        errors.AtsProtocolError,
        "(the body): Invalid JSON: recursion limit exceeded",
    ),
    "200, objects nested 100,000 deep": (
        answer(200, {b"Content-Type": b"application/json"}, NESTED_OBJECTS),
        errors.AtsProtocolError,
        "(the body): Invalid JSON: recursion limit exceeded",
    ),
    "200, not UTF-8": (
        answer(200, {b"Content-Type": b"application/json"}, b"\xff\xfe{}"),
        errors.AtsProtocolError,
        "(the body): Invalid JSON",
    ),
    "200, Content-Length a superscript two": (
        answer(200, {b"Content-Length": b"\xb2"}, b"{}"),
        errors.AtsProtocolError,
        "invalid field(s)",
    ),
    "200, Content-Length of 5,000 digits": (
        answer(200, {b"Content-Length": b"9" * 5000}, b"{}"),
        errors.AtsProtocolError,
        "answer larger than 1000000 bytes",
    ),
}


@asynccontextmanager
async def hostile_client(make: Callable[[], httpx.Response], sleeps: Sleeps) -> AsyncIterator[AtsClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: make())) as http:
        yield AtsClient(
            http, base_url=BASE, token="t0k", retries=1, sleep=sleeps, max_response_bytes=1_000_000
        )


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize("hostile", list(HOSTILE))
async def test_every_hostile_answer_is_an_ats_error(call: str, hostile: str, sleeps: Sleeps) -> None:
    make, error, says = HOSTILE[hostile]
    async with hostile_client(make, sleeps) as client:
        with pytest.raises(errors.AtsError) as caught:
            await CALLS[call](client)

    assert type(caught.value) is error, repr(caught.value)
    assert says in str(caught.value)
    if isinstance(caught.value, errors.AtsProtocolError):
        assert str(caught.value).startswith(("GET /", "POST /")), str(caught.value)  # which call it was
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
    if isinstance(caught.value, errors.AtsRejected):
        assert caught.value.problem == {}  # a body nested that deep is no problem detail
    if isinstance(caught.value, errors.AtsUnavailable):
        assert sleeps.waits == [0.5]  # the unreadable Retry-After is ignored; the backoff applies


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        (b"7", 7.0),
        (b"\xb2", 0.5),
        ("\u0667".encode(), 0.5),  # an Arabic-Indic seven: a digit to str.isdigit(), not to the contract
        (b"-5", 0.5),
        (b"1.5", 0.5),
        (b"\xff\xfe", 0.5),
        (b"Wed, 21 Oct 2015 07:28:00 GMT", 0.5),
        (b"Fri, 31 Dec 99999999999 23:59:59 GMT", 0.5),
        (b"Fri, 31 Dec 9999 23:59:59 +99999999999999999999", 0.5),
        (b"Fri, 31 Dec 9999 23:59:59 +9999", 0.5),
    ],
)
async def test_retry_after_in_any_form_sets_a_wait_within_the_backoff_cap(
    retry_after: bytes, wait: float, sleeps: Sleeps
) -> None:
    answers = iter([answer(503, {b"Retry-After": retry_after}), answer(200, {}, json.dumps(USER).encode())])
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: next(answers)())) as http:
        client = AtsClient(
            http, base_url=BASE, token="t0k", retries=1, backoff=0.5, max_backoff=30.0, sleep=sleeps
        )
        user = await client.get_user("usr_1")

    assert user.id == "usr_1"
    assert sleeps.waits == [wait]


# A wait past the backoff cap (30 s here) is not taken, and not cut short either: the ATS is not asked
# again before the time it gave; the call fails at once, carrying the wait for its caller.
@pytest.mark.parametrize(
    "retry_after",
    [b"9" * 5000, b"Fri, 31 Dec 9999 23:59:59 GMT", b"Fri, 31 Dec 9999 23:59:59 -2359"],
)
async def test_retry_after_past_the_backoff_cap_in_any_form_fails_at_once(
    retry_after: bytes, sleeps: Sleeps
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answer(503, {b"Retry-After": retry_after})()

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = AtsClient(
            http, base_url=BASE, token="t0k", retries=1, backoff=0.5, max_backoff=30.0, sleep=sleeps
        )
        with pytest.raises(errors.AtsUnavailable) as caught:
            await client.get_user("usr_1")

    assert len(sent) == 1 and sleeps.waits == []
    assert caught.value.status == 503
    assert caught.value.retry_after is not None and caught.value.retry_after > 30.0


@pytest.mark.parametrize(("declared", "read"), [(b"0" * 30 + b"300", True), (b"0" * 30 + b"1001", False)])
async def test_a_content_length_with_leading_zeros_counts_its_value(declared: bytes, read: bool) -> None:
    body = json.dumps(USER).encode().ljust(300)
    respond = answer(200, {b"Content-Length": declared, b"Content-Type": b"application/json"}, body)
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _: respond())) as http:
        client = AtsClient(http, base_url=BASE, token="t0k", max_response_bytes=1000)
        if read:
            assert (await client.get_user("usr_1")).id == "usr_1"
        else:
            with pytest.raises(errors.AtsProtocolError, match="answer larger than 1000 bytes"):
                await client.get_user("usr_1")
