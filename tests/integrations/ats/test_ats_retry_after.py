"""A 429 or 5xx with Retry-After: no request is sent before the time the ATS gave. A wait within the
client's backoff cap is waited in full; a longer one is not waited at all: the call fails at once with
AtsUnavailable carrying the wait, for its caller to come back later (docs/pull.md#exactly-once)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from tests.integrations.ats.conftest import BASE, STAMP

from rsc_service.integrations.ats import AtsClient, AtsUnavailable
from rsc_service.integrations.ats import wire as ats

PROBLEM = {"type": "about:blank", "title": "Too many", "status": 429, "code": "rate_limited"}
NOTE = ats.NoteCreate(
    external_id="linkedin:notes:1", body="hello", written_at=datetime(2026, 1, 1, tzinfo=UTC)
)


class Ats:
    """An ATS answering `answers` in turn (the last one again once they run out), on a clock that the
    client's sleeps move: when each request was sent."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers, self.now, self.sent = list(answers), 0.0, list[float]()

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(self.now)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def too_many(retry_after: str) -> httpx.Response:
    headers = {"retry-after": retry_after, "content-type": "application/problem+json"}
    return httpx.Response(429, json=PROBLEM, headers=headers)


async def noted(server: Ats) -> ats.Note:
    """A note written through a client retrying 3 times, with waits of at most 30 s."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as http:
        client = AtsClient(http, base_url=BASE, token="t", retries=3, max_backoff=30.0, sleep=server.sleep)
        return await client.create_note("cand_1", NOTE)


async def test_a_429_asking_for_two_minutes_is_not_asked_again_before_them() -> None:
    server = Ats(too_many("120"))

    with pytest.raises(AtsUnavailable) as caught:
        await noted(server)

    assert server.sent == [0.0]  # not retried at 30 s, the client's longest wait
    assert caught.value.status == 429 and caught.value.retry_after == 120.0
    assert "120 s" in str(caught.value)


async def test_a_wait_within_the_cap_is_waited_in_full_each_time() -> None:
    note = {
        "kind": "note",
        "id": "note_1",
        "version": 1,
        "created_at": STAMP,
        "updated_at": STAMP,
        "candidate_id": "cand_1",
        "body": "hello",
        "written_at": STAMP,
        "external_id": NOTE.external_id,
    }
    server = Ats(too_many("20"), too_many("25"), httpx.Response(201, json=note))

    assert (await noted(server)).id == "note_1"

    assert server.sent == [0.0, 20.0, 45.0]


async def test_retries_that_run_out_carry_the_last_wait_asked_for() -> None:
    server = Ats(too_many("2"))

    with pytest.raises(AtsUnavailable) as caught:
        await noted(server)

    assert len(server.sent) == 4 and all(
        b - a >= 2 for a, b in zip(server.sent, server.sent[1:], strict=False)
    )
    assert caught.value.retry_after == 2.0
