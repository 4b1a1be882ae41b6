"""The initial sync's walk of the ATS: which lists are read, page by page from a saved position, and which
listed records are synced (PRODUCT A4). Pure but for the page read; shared by the sync and its dry run.

Kinds are walked parents first — users (the names notes and feedback embed), jobs, candidates, applications,
notes, interview feedback — so a child finds its parents in the mirror. Only live records are listed: LinkedIn
holds nothing of the tenant yet, so a deletion has nothing to delete.

Jobs are those of the last two years: every open job, and the closed jobs changed since the cutoff (two
years before the sync started). They are two listings of the ATS's `GET /jobs`, `status=open` and then
`status=closed&updated_since=…`, walked one after the other as two phases of the kind `job`. A child whose
parent is not synced (an application of an older job, the notes and feedback of such an application) is
skipped and counted: synced, it would wait in the outbox for a parent that never comes.

A position is the phase and the ATS's `next_cursor`, saved after each page (docs/onboarding.md#initial-sync),
so a walk continues from the page after the last one saved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from rsc_service.integrations.ats import AtsClient
from rsc_service.integrations.ats import wire as ats
from rsc_service.mirror import changes
from rsc_service.mirror.changes import Change, Listed

TASK: Final = "initial_sync"
# Parents before children (docs/architecture.md#8-deleting has the reverse for deletions).
KINDS: Final[tuple[str, ...]] = ("user", "job", "candidate", "application", "note", "interview_feedback")
# How far back closed jobs are synced: LinkedIn shows a job's history for two years.
JOB_HISTORY: Final = timedelta(days=730)
PAGE_SIZE: Final = 100  # one LinkedIn batch (docs/linkedin.md#throttles) per page of a top-level kind

_PAGES: Final[dict[str, tuple[str, type[ats.Page[Any]]]]] = {
    "user": ("/users", ats.Page[ats.User]),
    "job": ("/jobs", ats.Page[ats.Job]),
    "candidate": ("/candidates", ats.Page[ats.Candidate]),
    "application": ("/applications", ats.Page[ats.Application]),
    "note": ("/notes", ats.Page[ats.Note]),
    "interview_feedback": ("/interview_feedback", ats.Page[ats.InterviewFeedback]),
}

Query = dict[str, str]


def phases(kind: str, cutoff: datetime) -> list[Query]:
    """The listings one kind is walked through, in order: jobs open, then closed since the cutoff."""
    if kind == "job":
        since = cutoff.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return [{"status": "open"}, {"status": "closed", "updated_since": since}]
    return [{}]


@dataclass(frozen=True)
class Position:
    """Where a kind's walk continues: its listing (phase) and the ATS's cursor in it; and the records it
    skipped so far. Stored as JSON in `SetupProgress.cursor`."""

    phase: int = 0
    cursor: str | None = None
    skipped: int = 0

    def dump(self) -> str:
        return json.dumps({"phase": self.phase, "cursor": self.cursor, "skipped": self.skipped})

    @classmethod
    def load(cls, text: str | None) -> Position:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(int(data.get("phase", 0)), data.get("cursor"), int(data.get("skipped", 0)))


@dataclass(frozen=True)
class Page:
    records: list[Listed]
    after: Position  # where the walk continues after this page
    finished: bool  # the kind's last page


async def read_page(
    client: AtsClient, kind: str, position: Position, *, cutoff: datetime, limit: int = PAGE_SIZE
) -> Page:
    """One page of `kind` from `position`.

    A walk that resumes needs each page's cursor, so pages are read one at a time (`AtsClient.page`).
    """
    path, model = _PAGES[kind]
    listings = phases(kind, cutoff)
    query: Query = {**listings[position.phase], "limit": str(limit)}
    if position.cursor:
        query["cursor"] = position.cursor
    page = await client.page(path, model, query)
    records: list[Listed] = list(page.data)
    next_cursor = page.next_cursor
    if next_cursor:
        return Page(records, replace(position, cursor=next_cursor), finished=False)
    if position.phase + 1 < len(listings):
        return Page(records, replace(position, phase=position.phase + 1, cursor=None), finished=False)
    return Page(records, replace(position, cursor=None), finished=True)


# ---- which listed records are synced ----


def job_synced(job: Mapping[str, Any], cutoff: datetime) -> bool:
    """Open, or changed since the cutoff (a job as JSON, as listed or as the mirror keeps it)."""
    if job.get("status") == "open":
        return True
    updated = job.get("updated_at")
    if isinstance(updated, datetime):
        return updated >= cutoff
    return isinstance(updated, str) and datetime.fromisoformat(updated) >= cutoff


@dataclass
class Parents:
    """The synced parents a page's children may name: jobs as JSON, candidate ids, and applications as JSON
    (an application counts when its job and its candidate do)."""

    jobs: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    candidates: set[str] = field(default_factory=set)
    applications: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def application_synced(self, application: Mapping[str, Any]) -> bool:
        return application.get("job_id") in self.jobs and application.get("candidate_id") in self.candidates


def parent_ids(kind: str, records: Iterable[Listed]) -> dict[str, set[str]]:
    """The parents, by kind, that records of `kind` name."""
    wanted: dict[str, set[str]] = {"job": set(), "candidate": set(), "application": set()}
    if kind not in ("application", "note", "interview_feedback"):
        return wanted
    for record in records:
        for parent, ids in wanted.items():
            value = getattr(record, f"{parent}_id", None)
            if isinstance(value, str) and value:
                ids.add(value)
    return wanted


def skip_reason(kind: str, data: Mapping[str, Any], parents: Parents) -> str | None:
    """Why a listed record is not synced, or None."""
    if kind == "application" and not parents.application_synced(data):
        if data.get("job_id") not in parents.jobs:
            return "its job is not synced (closed more than two years ago, or unknown)"
        return "its candidate is not synced"
    if kind in ("note", "interview_feedback"):
        application = data.get("application_id")
        if application:
            found = parents.applications.get(application)
            if found is None or not parents.application_synced(found):
                return "its application is not synced"
        elif data.get("candidate_id") not in parents.candidates:
            return "its candidate is not synced"
    return None


@dataclass(frozen=True)
class Skipped:
    kind: str
    ats_id: str
    reason: str


def classify(kind: str, records: Sequence[Listed], parents: Parents) -> tuple[list[Change], list[Skipped]]:
    """The page's records as changes to sync, and those skipped with the reason (a value the mirror cannot
    store, as reconcile skips it; a parent not synced)."""
    synced: list[Change] = []
    skipped: list[Skipped] = []
    for record in records:
        change = changes.from_listed(record)
        problems = changes.unstorable(change)
        reason = (
            "; ".join(f"{name} {why}" for name, why in problems)
            if problems
            else skip_reason(kind, change.data, parents)
        )
        if reason is None:
            synced.append(change)
        else:
            skipped.append(Skipped(kind, record.id[:200], reason))
    return synced, skipped
