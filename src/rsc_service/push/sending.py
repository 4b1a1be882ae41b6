"""How a batch of one resource goes to LinkedIn, one function per way of sending (docs/linkedin.md#batches):

- `job_tasks`: batch create of job postings, answered with a task per job that the outbox then polls;
- `batch_update`: records addressed by a compound key, written with a batch PUT (full replace), removed
  with a batch DELETE;
- `sub_collection`: records under a parent whose key sits in the URL, written and removed the same way;
- `keys_only`: records whose data is all in the key (ACLs), created and removed by key;
- `partial_update`: some fields of records addressed by a compound key, changed with a batch partial
  update (`{"patch": {"$set": ...}}`), the other fields left as they are.

Each takes our keys and stored payloads and answers, per key, landed or LinkedIn's error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from pydantic import ValidationError

from rsc_service.integrations.linkedin import BatchResult, Category, EntityError, LinkedInApp
from rsc_service.integrations.linkedin import wire as li
from rsc_service.outbox.ops import own_key
from rsc_service.outbox.sending import REPOST, Item, Send, Sent, Target
from rsc_service.push.resource import refusal

K = TypeVar("K")
M = TypeVar("M", bound=li.Wire)

# Our key and the tenant's integration context → the Rest.li key LinkedIn addresses the record by.
KeyOf = Callable[[str, str], K]


def _collect(result: BatchResult[K, Any], ours: Callable[[K], str], *, deleting: bool) -> Sent:
    sent = Sent(ok={ours(key): None for key in result.ok})
    for key, error in result.errors.items():
        if deleting and error.status == 404:  # already gone: what a delete wanted
            sent.ok[ours(key)] = None
        else:
            sent.errors[ours(key)] = error
    return sent


def _validated(items: Sequence[Item], model: type[M]) -> tuple[dict[str, M], dict[str, EntityError]]:
    """Stored payloads as wire models again; one that is not a valid record fails alone, as LinkedIn would
    refuse it (payloads are checked when built, so this guards rows stored by an older version)."""
    records: dict[str, M] = {}
    errors: dict[str, EntityError] = {}
    for key, payload in items:
        try:
            records[key] = model.model_validate(payload)
        except ValidationError as error:
            message = f"invalid record: {refusal(error)}"
            errors[key] = EntityError(status=422, category=Category.REJECTED, message=message)
    return records, errors


def _deleting(items: Sequence[Item]) -> bool:
    return all(payload is None for _, payload in items)


def job_tasks() -> Send:
    """Job postings go as LinkedIn's job-posting tasks, each with its operation: CREATE the first time,
    UPDATE after, CLOSE to close one LinkedIn holds; a job closed before it was ever sent is created closed,
    so closed jobs stay part of the history (docs/linkedin.md#jobs).

    An UPDATE may not change a job's availability: a listed job LinkedIn holds with another availability is
    closed as it stands, and once that task succeeded (LinkedIn holds `REPOST`) it is posted again with
    CREATE, as a new job. A job being closed keeps the availability LinkedIn holds, so a close is never also
    a change of availability; one LinkedIn holds closed as `REPOST` already is owed nothing (it lands with no
    post) until it reopens, as a CREATE.
    """

    async def send(target: Target, items: Sequence[Item]) -> Sent:
        postings, invalid = _validated(items, li.SimpleJobPosting)
        if not postings:
            return Sent(errors=invalid)
        holding: dict[str, str] = {}
        unsent: dict[str, str | None] = {}
        for key, posting in postings.items():
            held = key in target.landed
            # What LinkedIn holds: an availability a post of ours carried, or REPOST.
            was = cast(li.JobAvailability, target.held.get(key)) if held else None
            if posting.state == "CLOSED":
                posting.job_posting_operation_type = "CLOSE" if held else "CREATE"
                if was == REPOST:  # closed already, and posted again with CREATE once it reopens
                    unsent[key] = None
                    continue
                if was is not None:
                    posting.availability = was
            elif was == REPOST:
                posting.job_posting_operation_type = "CREATE"
            elif was is not None and posting.availability is not None and was != posting.availability:
                posting.job_posting_operation_type, posting.state, posting.availability = (
                    "CLOSE",
                    "CLOSED",
                    was,
                )
                holding[key] = REPOST
            else:
                posting.job_posting_operation_type = "UPDATE" if held else "CREATE"
            posting.listing_type = "BASIC"  # RSC jobs are basic jobs
            if posting.availability is not None:
                holding.setdefault(key, posting.availability)
        for key in unsent:
            del postings[key]
        if not postings:
            return Sent(ok=unsent, errors=invalid)
        result = await target.app.create_jobs(list(postings.values()))
        return Sent(
            ok={**result.ok, **unsent},
            errors={**result.errors, **invalid},
            holding={key: holding[key] for key in result.ok if key in holding},
        )

    return send


def batch_update(
    key: KeyOf[K],
    ours: Callable[[K], str],
    model: type[M],
    upsert: Callable[[LinkedInApp], Callable[[dict[K, M]], Awaitable[BatchResult[K, int]]]],
    remove: Callable[[LinkedInApp], Callable[[list[K]], Awaitable[BatchResult[K, int]]]],
) -> Send:
    async def send(target: Target, items: Sequence[Item]) -> Sent:
        if _deleting(items):
            keys = [key(k, target.integration_context) for k, _ in items]
            return _collect(await remove(target.app)(keys), ours, deleting=True)
        valid, invalid = _validated(items, model)
        if not valid:
            return Sent(errors=invalid)
        records = {key(k, target.integration_context): record for k, record in valid.items()}
        sent = _collect(await upsert(target.app)(records), ours, deleting=False)
        sent.errors.update(invalid)
        return sent

    return send


def sub_collection(
    parent_key: KeyOf[K],
    model: type[M],
    upsert: Callable[[LinkedInApp], Callable[[K, Mapping[str, M]], Awaitable[BatchResult[str, int]]]],
    remove: Callable[[LinkedInApp], Callable[[K, list[str]], Awaitable[BatchResult[str, int]]]],
) -> Send:
    async def send(target: Target, items: Sequence[Item]) -> Sent:
        if target.path_parent is None:
            raise ValueError("a sub-collection row needs its parent key")
        parent = parent_key(target.path_parent, target.integration_context)
        if _deleting(items):
            # A copy a moved record left under this parent is deleted by its record's own key (outbox/ops.py).
            ours: dict[str, list[str]] = {}
            for k, _ in items:
                ours.setdefault(own_key(k), []).append(k)
            sent = _collect(await remove(target.app)(parent, list(ours)), str, deleting=True)
            return Sent(
                ok={mine: task for k, task in sent.ok.items() for mine in ours.get(k, [k])},
                errors={mine: error for k, error in sent.errors.items() for mine in ours.get(k, [k])},
            )
        records, invalid = _validated(items, model)
        if not records:
            return Sent(errors=invalid)
        sent = _collect(await upsert(target.app)(parent, records), str, deleting=False)
        sent.errors.update(invalid)
        return sent

    return send


def keys_only(
    key: KeyOf[K],
    upsert: Callable[[LinkedInApp], Callable[[list[K]], Awaitable[BatchResult[K, int]]]],
    remove: Callable[[LinkedInApp], Callable[[list[K]], Awaitable[BatchResult[K, int]]]],
) -> Send:
    async def send(target: Target, items: Sequence[Item]) -> Sent:
        keys = {key(k, target.integration_context): k for k, _ in items}
        deleting = _deleting(items)
        result = await (remove if deleting else upsert)(target.app)(list(keys))
        return _collect(result, keys.__getitem__, deleting=deleting)

    return send


def partial_update(
    key: KeyOf[K],
    ours: Callable[[K], str],
    patch: Callable[[LinkedInApp], Callable[[dict[K, li.PartialUpdate]], Awaitable[BatchResult[K, int]]]],
) -> Send:
    async def send(target: Target, items: Sequence[Item]) -> Sent:
        patches, invalid = _validated(items, li.PartialUpdate)
        if not patches:
            return Sent(errors=invalid)
        changes = {key(k, target.integration_context): value for k, value in patches.items()}
        sent = _collect(await patch(target.app)(changes), ours, deleting=False)
        sent.errors.update(invalid)
        return sent

    return send
