"""The fake ATS's in-memory account: its plan, records of every kind, and the events changes raise."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rsc_service.simulators.ats.records import (
    KINDS,
    PARENT_FIELDS,
    PREFIX,
    READ_ONLY,
    REQUIRED,
    Record,
    blank,
    iso,
)
from rsc_service.simulators.ats.store import Store, decode_cursor, encode_cursor

if TYPE_CHECKING:
    from rsc_service.simulators.ats.webhooks import WebhookSender

Listener = Callable[[dict[str, Any]], None]

# Deleting a parent deletes its children first, as the ATS's own UI does.
_CHILDREN = {
    "candidate": ("application", "note"),
    "job": ("application",),
    "application": ("note", "interview_feedback"),
}
_CHILD_KEY = {"candidate": "candidate_id", "job": "job_id", "application": "application_id"}
# What `GET /account` answers; only these change (the rest is the ATS's own bookkeeping).
ACCOUNT_FIELDS = ("name", "plan", "web_url")


class RecordNotFound(LookupError):
    def __init__(self, kind: str, record_id: str) -> None:
        super().__init__(f"{kind} {record_id} does not exist")
        self.kind, self.record_id = kind, record_id


class InvalidChange(ValueError):
    """A change the ATS would refuse (unknown field, missing parent, ...)."""


class World:
    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        ui_url: str = "https://ats.example",
        account: Mapping[str, Any] | None = None,
    ) -> None:
        """`account` overrides the account's defaults: enterprise plan, `web_url` the origin of `ui_url`."""
        self.clock = clock
        self.ui_url = ui_url.rstrip("/")
        self.stores: dict[str, Store] = {kind: Store() for kind in (*KINDS, "email", "user_email")}
        self.external_ids: dict[tuple[str, str], str] = {}
        self.writes: list[dict[str, Any]] = []
        self.duplicates: list[dict[str, Any]] = []
        self.listeners: list[Listener] = []
        # LinkedIn contracts each ATS user holds a Recruiter seat on; decides who reads restricted content.
        self.seats: dict[str, set[str]] = {}
        self.webhooks: WebhookSender | None = None
        # Seconds each list read of the API takes (a slow ATS); `PUT /_sim/read-delay` sets it.
        self.read_delay = 0.0
        self._seq = 0
        self._counters = dict.fromkeys(PREFIX, 0)
        parts = urlsplit(self.ui_url)
        self.account: Record = {
            "id": "acct_000001",
            "name": "Acme Robotics",
            "plan": "enterprise",
            "web_url": f"{parts.scheme}://{parts.netloc}",
            "version": 1,
            "updated_at": self.now(),
        }
        self._check_account(account or {})
        self.account |= dict(account or {})

    # --- plumbing ---------------------------------------------------------------------------------

    def now(self) -> str:
        return iso(self.clock())

    def next_id(self, kind: str) -> str:
        self._counters[kind] += 1
        return f"{PREFIX[kind]}_{self._counters[kind]:06d}"

    def store(self, record: Record) -> None:
        """Put a record as it is (no event); used by the seed generator and by every change."""
        self._seq += 1
        self.stores[record["kind"]].put(record, self._seq)
        external_id = record.get("external_id")
        if external_id:
            self.external_ids[(record["kind"], external_id)] = record["id"]

    def _emit(self, event_type: str, data: Record) -> None:
        event = {"type": event_type, "id": f"evt_{uuid.uuid4().hex}", "occurred_at": self.now(), "data": data}
        for listener in self.listeners:
            listener(event)

    # --- reads ------------------------------------------------------------------------------------

    def get(self, kind: str, record_id: str, *, include_deleted: bool = False) -> Record:
        record = self.stores[kind].records.get(record_id)
        if record is None or ("deleted_at" in record and not include_deleted):
            raise RecordNotFound(kind, record_id)
        return record

    def list_records(
        self,
        kind: str,
        *,
        cursor: str | None = None,
        limit: int = 100,
        updated_since: str | None = None,
        include_deleted: bool = False,
        filters: Mapping[str, str] | None = None,
    ) -> tuple[list[Record], str | None]:
        wanted = {key: value for key, value in (filters or {}).items() if value is not None}

        def keep(record: Record) -> bool:
            if not include_deleted and "deleted_at" in record:
                return False
            if updated_since is not None and record["updated_at"] < updated_since:
                return False
            return all(record.get(key) == value for key, value in wanted.items())

        after = decode_cursor(cursor) if cursor else 0
        found, next_seq = self.stores[kind].page(after=after, limit=limit, keep=keep)
        return found, (encode_cursor(next_seq) if next_seq is not None else None)

    def count(self, kind: str) -> int:
        return sum(1 for _ in self.stores[kind].live())

    # --- the account (no webhook: the contract has no account events) --------------------------------

    def change_account(self, changes: Mapping[str, Any]) -> Record:
        self._check_account(changes)
        self.account = self.account | dict(changes)
        self.account["version"] += 1
        self.account["updated_at"] = self.now()
        return self.account

    def _check_account(self, changes: Mapping[str, Any]) -> None:
        unknown = sorted(set(changes) - set(ACCOUNT_FIELDS))
        if unknown:
            raise InvalidChange(f"unknown or read-only fields for account: {', '.join(unknown)}")

    # --- changes that raise webhooks ----------------------------------------------------------------

    def create(self, kind: str, fields: Mapping[str, Any], *, emit: bool = True) -> Record:
        at = self.now()
        record = blank(kind, self.next_id(kind), at, self.ui_url)
        self._check_fields(record, fields)
        missing = [name for name in REQUIRED.get(kind, ()) if not fields.get(name)]
        if missing:
            raise InvalidChange(f"{kind} needs {', '.join(missing)}")
        record.update(fields)
        self._link_parents(record)
        if kind == "application" and not record["stage_history"]:
            record["stage_history"] = [
                {"stage": record["stage"], "entered_at": at, "changed_by_user_id": None}
            ]
        self.store(record)
        if emit:
            self._emit(f"{kind}.created", dict(record))
        return record

    def update(
        self, kind: str, record_id: str, changes: Mapping[str, Any], *, by: str | None = None
    ) -> Record:
        current = self.get(kind, record_id)
        self._check_fields(current, changes)
        record = current | dict(changes)
        event_type = f"{kind}.updated"
        at = self.now()
        if kind == "application" and "stage" in changes and changes["stage"] != current["stage"]:
            history = [
                *current["stage_history"],
                {"stage": changes["stage"], "entered_at": at, "changed_by_user_id": by},
            ]
            record["stage_history"] = history
            event_type = "application.stage_changed"
        if kind == "job" and changes.get("status") == "closed" and current["status"] != "closed":
            record["closed_at"] = at
        self._link_parents(record)
        record["version"] = current["version"] + 1
        record["updated_at"] = at
        self.store(record)
        self._emit(event_type, dict(record))
        return record

    def delete(self, kind: str, record_id: str) -> list[Record]:
        """Delete a record and its children (children first); returns what was deleted."""
        record = self.get(kind, record_id)
        deleted: list[Record] = []
        for child_kind in _CHILDREN.get(kind, ()):
            key = _CHILD_KEY[kind]
            for child in [c for c in self.stores[child_kind].live() if c.get(key) == record_id]:
                deleted.extend(self.delete(child_kind, child["id"]))
        at = self.now()
        gone = record | {"version": record["version"] + 1, "updated_at": at, "deleted_at": at}
        self.store(gone)
        tombstone = {"kind": kind, "id": record_id, "version": gone["version"], "deleted_at": at}
        tombstone |= {name: record.get(name) for name in PARENT_FIELDS.get(kind, ())}
        self._emit(f"{kind}.deleted", tombstone)
        deleted.append(gone)
        return deleted

    def announce(self) -> int:
        """Send a `*.created` event for every live record, parents first (what an initial export does)."""
        sent = 0
        for kind in KINDS:
            for record in list(self.stores[kind].live()):
                self._emit(f"{kind}.created", dict(record))
                sent += 1
        return sent

    def _check_fields(self, record: Record, fields: Mapping[str, Any]) -> None:
        unknown = sorted(set(fields) - (set(record) - READ_ONLY))
        if unknown:
            raise InvalidChange(f"unknown or read-only fields for {record['kind']}: {', '.join(unknown)}")

    def _link_parents(self, record: Record) -> None:
        """Check that parents exist and fill the ids a child inherits from its application."""
        kind = record["kind"]
        if kind in {"note", "interview_feedback"} and record.get("application_id"):
            application = self._parent("application", record["application_id"])
            record["job_id"] = application["job_id"]
            record["candidate_id"] = application["candidate_id"]
        for field_name, parent_kind in (("candidate_id", "candidate"), ("job_id", "job")):
            if kind in PARENT_FIELDS and record.get(field_name):
                self._parent(parent_kind, record[field_name])

    def _parent(self, kind: str, record_id: str) -> Record:
        try:
            return self.get(kind, record_id)
        except RecordNotFound as exc:
            raise InvalidChange(str(exc)) from None
