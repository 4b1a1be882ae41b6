"""Each malformed header, body or tenant gets its 4xx problem; inbox, mirror and outbox stay as they were."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.context import AppContext
from rsc_service.integrations.ats import signatures
from rsc_service.mirror.models import AtsRecord
from rsc_service.outbox.models import OutboxMessage
from tests.factories import Ats, candidate, note

OTHER_SECRET = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
Event = dict[str, Any]
Change = Callable[[Ats, Event, dict[str, str]], bytes | None]


def _header(name: str, value: str | None) -> Change:
    def change(ats: Ats, event: Event, headers: dict[str, str]) -> None:
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value

    return change


def _signed(*, secret: str | None = None, skew: timedelta = timedelta(0)) -> Change:
    def change(ats: Ats, event: Event, headers: dict[str, str]) -> None:
        body = json.dumps(event).encode()
        headers.update(signatures.sign(body, secret or ats.secret, event["id"], ats.clock() + skew))

    return change


def _body(edit: Callable[[Event], bytes], *, msg_id: str | None = None) -> Change:
    """Replace the body and sign it properly, so only its content is wrong."""

    def change(ats: Ats, event: Event, headers: dict[str, str]) -> bytes:
        raw = edit(event)
        headers.update(signatures.sign(raw, ats.secret, msg_id or event["id"], ats.clock()))
        return raw

    return change


def _tampered(ats: Ats, event: Event, headers: dict[str, str]) -> bytes:
    return json.dumps({**event, "type": "candidate.updated"}).encode()


def _dumps(**fields: Any) -> Callable[[Event], bytes]:
    return lambda event: json.dumps({**event, **fields}).encode()


CASES: dict[str, tuple[int, Change]] = {
    "no webhook-id": (401, _header("webhook-id", None)),
    "no webhook-timestamp": (401, _header("webhook-timestamp", None)),
    "no webhook-signature": (401, _header("webhook-signature", None)),
    "timestamp not a number": (401, _header("webhook-timestamp", "soon")),
    "signature not base64": (401, _header("webhook-signature", "v1,!!!")),
    "only a v1a signature": (401, _header("webhook-signature", "v1a,abc")),
    "timestamp 6 minutes old": (401, _signed(skew=timedelta(minutes=-6))),
    "timestamp 6 minutes ahead": (401, _signed(skew=timedelta(minutes=6))),
    "signed with another secret": (401, _signed(secret=OTHER_SECRET)),
    "body changed after signing": (401, _tampered),
    "body not UTF-8": (401, lambda ats, event, headers: b"\xff\xfe"),
    "body not JSON": (400, _body(lambda event: b"{not json")),
    "unknown event type": (422, _body(_dumps(type="candidate.exploded"))),
    "missing data": (
        422,
        _body(lambda event: json.dumps({"id": event["id"], "type": event["type"]}).encode()),
    ),
    "version below 1": (422, _body(_dumps(data=candidate(version=0)))),
    "naive occurred_at": (422, _body(_dumps(occurred_at="2026-11-25T12:00:00"))),
    "event id differs from webhook-id": (422, _body(_dumps(), msg_id="evt_other")),
}

LONG = "x" * 201
# What the database could never store (ids over 200 characters, versions past 32 bits, NUL anywhere): named
# at the edge, so the ATS stops retrying and the delivery never reaches a shared commit.
UNSTORABLE: dict[str, tuple[str, Change]] = {
    "record id over 200 characters": ("body.data.id", _body(_dumps(data=candidate(LONG)))),
    "parent id over 200 characters": (
        "body.data.candidate_id",
        _body(_dumps(type="note.created", data=note(candidate_id=LONG))),
    ),
    "author id over 200 characters": (
        "body.data.author_user_id",
        _body(_dumps(type="note.created", data=note(author_user_id=LONG))),
    ),
    "version of 2**31": ("body.data.version", _body(_dumps(data=candidate(version=2**31)))),
    "NUL in a name": ("body.data.first_name", _body(_dumps(data=candidate(first_name="Ad\u0000a")))),
    "NUL deep in a list": (
        "body.data.emails.0.address",
        _body(_dumps(data=candidate(emails=[{"address": "a\u0000@x.example", "type": "home"}]))),
    ),
    "event id over 200 characters": ("body.id", _body(_dumps(id=LONG), msg_id=LONG)),
    # JSON's grammar allows an escaped half of a surrogate pair; no text column can hold one.
    "lone surrogate in a name": (
        "body.data.first_name",
        _body(_dumps(data=candidate(first_name="Ada \ud800"))),
    ),
    "lone surrogate deep in a list": (
        "body.data.emails.0.address",
        _body(_dumps(data=candidate(emails=[{"address": "a\udc00@x.example", "type": "home"}]))),
    ),
    # Valid timestamps whose UTC falls past 9999 or before year 1: a timestamp column holds UTC.
    "occurred_at past 9999 in UTC": (
        "body.occurred_at",
        _body(_dumps(occurred_at="9999-12-31T23:59:59-23:59")),
    ),
    "occurred_at before year 1 in UTC": (
        "body.occurred_at",
        _body(_dumps(occurred_at="0001-01-01T00:00:00+23:59")),
    ),
}


async def _counts(ctx: AppContext) -> list[int]:
    async with ctx.sessionmaker() as session:
        return [
            int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (AtsWebhookEvent, AtsRecord, OutboxMessage)
        ]


def _request(ats: Ats, change: Change) -> tuple[bytes, dict[str, str]]:
    event = ats.event("candidate.created", candidate())
    body = json.dumps(event).encode()
    headers = {
        "content-type": "application/json",
        **signatures.sign(body, ats.secret, event["id"], ats.clock()),
    }
    replaced = change(ats, event, headers)
    return (body if replaced is None else replaced), headers


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_input_is_refused_and_changes_nothing(ats: Ats, ctx: AppContext, case: str) -> None:
    await ats.send("candidate.created", candidate("cand_0"))  # something stored already
    before = await _counts(ctx)
    status, change = CASES[case]
    body, headers = _request(ats, change)

    response = await ats.client.post(f"/v1/webhooks/ats/{ats.tenant_key}", content=body, headers=headers)

    assert response.status_code == status, (case, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]
    assert await _counts(ctx) == before


@pytest.mark.parametrize("case", list(UNSTORABLE))
async def test_what_the_database_cannot_store_is_422_naming_the_field(
    ats: Ats, ctx: AppContext, case: str
) -> None:
    before = await _counts(ctx)
    field, change = UNSTORABLE[case]
    body, headers = _request(ats, change)

    response = await ats.client.post(f"/v1/webhooks/ats/{ats.tenant_key}", content=body, headers=headers)

    assert response.status_code == 422, (case, response.text)
    assert field in [problem["field"] for problem in response.json()["errors"]]
    assert await _counts(ctx) == before


@pytest.mark.parametrize("tenant_key", ["tn_unknown", "x" * 300])
async def test_unknown_tenant_is_404_and_changes_nothing(ats: Ats, ctx: AppContext, tenant_key: str) -> None:
    before = await _counts(ctx)
    body, headers = _request(ats, lambda a, e, h: None)
    response = await ats.client.post(f"/v1/webhooks/ats/{tenant_key}", content=body, headers=headers)
    assert response.status_code == 404
    assert await _counts(ctx) == before
