"""Record shapes of the fake ATS (as the contract's JSON), their id prefixes and the hiring pipeline."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Final

Record = dict[str, Any]

KINDS: Final = ("user", "job", "candidate", "application", "note", "interview_feedback")
PREFIX: Final = {
    "user": "usr",
    "job": "job",
    "candidate": "cand",
    "application": "app",
    "note": "note",
    "interview_feedback": "ifb",
    "email": "eml",
    "user_email": "uem",
}
STAGES: Final = ("Sourced", "Applied", "Phone Screen", "Interview", "Offer", "Hired")
# Parent ids a child record (and its deletion event) carries.
PARENT_FIELDS: Final = {
    "application": ("candidate_id", "job_id"),
    "note": ("candidate_id", "application_id", "job_id"),
    "interview_feedback": ("candidate_id", "job_id", "application_id"),
}
REQUIRED: Final = {
    "user": ("email", "first_name", "last_name"),
    "job": ("title",),
    "candidate": ("first_name", "last_name"),
    "application": ("candidate_id", "job_id"),
    "note": ("candidate_id", "body"),
    "interview_feedback": ("application_id",),
}
READ_ONLY: Final = frozenset({"kind", "id", "version", "created_at", "updated_at", "deleted_at"})


def iso(moment: datetime | float) -> str:
    """Second-precision UTC timestamps, so the stored strings sort in time order."""
    seconds = moment.timestamp() if isinstance(moment, datetime) else moment
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def blank(kind: str, record_id: str, at: str, ui_url: str) -> Record:
    """A record of `kind` with every contract field at its default."""
    base: Record = {"kind": kind, "id": record_id, "version": 1, "created_at": at, "updated_at": at}
    return base | _DEFAULTS[kind](record_id, at, ui_url)


def _user(_: str, __: str, ___: str) -> Record:
    return {"email": "", "first_name": "", "last_name": "", "access_level": "recruiter", "active": True}


def _job(record_id: str, _: str, ui_url: str) -> Record:
    return {
        "title": "",
        "description": None,
        "department": None,
        "location": None,
        "employment_type": "full_time",
        "status": "open",
        "privacy": "public",
        "listed": True,
        "restricted": False,
        "hiring_team": [],
        "closed_at": None,
        "url": f"{ui_url}/jobs/{record_id}",
    }


def _candidate(record_id: str, _: str, ui_url: str) -> Record:
    return {
        "first_name": "",
        "last_name": "",
        "emails": [],
        "phones": [],
        "linkedin_url": None,
        "current_company": None,
        "current_title": None,
        "location": None,
        "source": None,
        "sourcer_user_id": None,
        "do_not_contact": False,
        "external_id": None,
        "url": f"{ui_url}/candidates/{record_id}",
    }


def _application(_: str, at: str, __: str) -> Record:
    return {
        "candidate_id": "",
        "job_id": "",
        "stage": STAGES[1],
        "status": "active",
        "stage_history": [],
        "source": None,
        "sourcer_user_id": None,
        "applied_at": at,
        "external_id": None,
    }


def _note(_: str, at: str, __: str) -> Record:
    return {
        "candidate_id": "",
        "application_id": None,
        "job_id": None,
        "body": "",
        "author_user_id": None,
        "author_name": None,
        "written_at": at,
        "visibility": None,
        "external_id": None,
    }


def _interview_feedback(_: str, at: str, __: str) -> Record:
    return {
        "candidate_id": "",
        "job_id": "",
        "application_id": "",
        "interviewer_user_id": None,
        "interview_type": "onsite",
        "interviewed_at": at,
        "rating": None,
        "summary": None,
    }


_DEFAULTS: Final = {
    "user": _user,
    "job": _job,
    "candidate": _candidate,
    "application": _application,
    "note": _note,
    "interview_feedback": _interview_feedback,
}
