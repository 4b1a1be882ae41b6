"""Per-key outcomes of Rest.li batch calls, matched to the keys that were sent."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

from pydantic import ValidationError

from rsc_service.integrations.linkedin import restli
from rsc_service.integrations.linkedin.errors import Category, EntityError
from rsc_service.integrations.refusals import refused_fields

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_BATCH: Final = 100  # LinkedIn's limit per batch call (docs/linkedin.md#throttles)

# A key LinkedIn neither confirmed nor refused was not applied as far as we can tell; send it again.
_NO_ANSWER: Final = EntityError(
    status=0, category=Category.RETRIABLE, message="LinkedIn returned no result for this key"
)
_NOT_FOUND: Final = EntityError(status=404, category=Category.REJECTED, message="not found")


@dataclass(frozen=True)
class BatchResult(Generic[K, V]):
    """What LinkedIn did with each key: `ok` maps keys to their result, `errors` to why they failed."""

    ok: dict[K, V] = field(default_factory=dict)
    errors: dict[K, EntityError] = field(default_factory=dict)

    @property
    def all_ok(self) -> bool:
        return not self.errors


def check_size(items: Sequence[object] | Mapping[object, object]) -> None:
    # Splitting is the caller's job: it knows how records map to outbox rows.
    if len(items) > MAX_BATCH:
        raise ValueError(f"{len(items)} entities in one batch; LinkedIn takes at most {MAX_BATCH}")


def check_unique(keys: Sequence[Hashable]) -> None:
    if len(set(keys)) != len(keys):
        raise ValueError("the same key appears twice in one batch")


def read_statuses(body: object, sent: Sequence[tuple[restli.Key, K]]) -> BatchResult[K, int]:
    """batch_update, batch_partial_update, batch_delete: `{"results": {KEY: {"status": 204}}}`."""

    def status(value: object) -> int:
        code = value.get("status") if isinstance(value, Mapping) else None
        return code if isinstance(code, int) else 200

    return _read_map(body, sent, status, missing=_NO_ANSWER)


def read_entities(
    body: object, sent: Sequence[tuple[restli.Key, K]], parse: Callable[[object], V]
) -> BatchResult[K, V]:
    """batch_get: `{"results": {KEY: entity}, "statuses": {}, "errors": {}}`; absent keys were not found."""
    return _read_map(body, sent, parse, missing=_NOT_FOUND)


def read_created(body: object, sent: Sequence[K]) -> BatchResult[K, str]:
    """batch_create answers `{"elements": [{"status": 201, "id": ...}]}` in request order."""
    elements = body.get("elements") if isinstance(body, Mapping) else None
    elements = elements if isinstance(elements, list) else []
    result: BatchResult[K, str] = BatchResult()
    for index, key in enumerate(sent):
        element = elements[index] if index < len(elements) else None
        if not isinstance(element, Mapping):
            result.errors[key] = _NO_ANSWER
            continue
        status = element.get("status")
        created_id = element.get("id")
        if (isinstance(status, int) and status >= 400) or not isinstance(created_id, str):
            error = element.get("error")
            result.errors[key] = EntityError.from_body(
                {"status": status, **(error if isinstance(error, Mapping) else element)}
            )
            continue
        result.ok[key] = created_id
    return result


def _read_map(
    body: object, sent: Sequence[tuple[restli.Key, K]], parse: Callable[[object], V], *, missing: EntityError
) -> BatchResult[K, V]:
    fields = body if isinstance(body, Mapping) else {}
    index = restli.KeyIndex(sent)
    result: BatchResult[K, V] = BatchResult()
    for text, value in _mapping(fields.get("errors")).items():
        key = index.find(text)
        if key is not None:
            result.errors[key] = EntityError.from_body(_with_status(value, fields.get("statuses"), text))
    for text, value in _mapping(fields.get("results")).items():
        key = index.find(text)
        if key is None or key in result.errors:
            continue
        code = value.get("status") if isinstance(value, Mapping) else None
        if isinstance(code, int) and code >= 400:  # some servers report a failed key inside results
            result.errors[key] = EntityError.from_body(value)
            continue
        try:
            result.ok[key] = parse(value)
        except ValidationError as exc:
            result.errors[key] = EntityError(
                200, Category.REJECTED, f"unreadable entity: {refused_fields(exc)}"
            )
    for _, key in sent:
        if key not in result.ok and key not in result.errors:
            result.errors[key] = missing
    return result


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _with_status(error: object, statuses: object, text: str) -> object:
    if isinstance(error, Mapping) and "status" not in error:
        status = _mapping(statuses).get(text)
        return {**error, "status": status} if isinstance(status, int) else error
    return error
