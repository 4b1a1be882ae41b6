"""Deterministic seed data for the fake ATS: users, jobs, candidates, applications, notes and interviews.

One pass per kind over plain dicts, so 100k candidates (with their applications) take seconds.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from rsc_service.simulators.ats.config import SeedOptions
from rsc_service.simulators.ats.records import STAGES, Record, blank, iso
from rsc_service.simulators.ats.vocabulary import (
    ACCESS,
    COMPANIES,
    DEPARTMENTS,
    FIRST,
    JOB_TITLES,
    LAST,
    LEVELS,
    NOTES,
    PLACES,
    SOURCES,
    TITLES,
)
from rsc_service.simulators.ats.world import World

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


def generate(world: World, options: SeedOptions | None = None, **overrides: Any) -> dict[str, int]:
    """Fill `world` with records (no webhooks); the same options always give the same records."""
    opts = SeedOptions.model_validate((options or SeedOptions()).model_dump() | overrides)
    rng = random.Random(opts.seed)  # noqa: S311 - test data, not security
    now = ANCHOR.timestamp()
    span = opts.history_days * 86400
    users = _users(world, rng, opts, now - span)
    jobs = _jobs(world, rng, opts, users, now, span)
    candidates = _candidates(world, rng, opts, users, now, span)
    applications = _applications(world, rng, opts, candidates, jobs, users, now)
    notes = _notes(world, rng, opts, candidates, applications, users, now)
    feedback = _interviews(world, rng, opts, applications, users)
    return {
        "users": len(users),
        "jobs": len(jobs),
        "candidates": len(candidates),
        "applications": len(applications),
        "notes": notes,
        "interview_feedback": feedback,
    }


def _new(world: World, kind: str, at: float) -> Record:
    stamp = iso(at)
    return blank(kind, world.next_id(kind), stamp, world.ui_url)


def _users(world: World, rng: random.Random, opts: SeedOptions, since: float) -> list[Record]:
    users: list[Record] = []
    seat_emails = list(opts.recruiter_emails)
    for number in range(opts.users):
        first, last = FIRST[(number * 7) % len(FIRST)], LAST[(number * 11) % len(LAST)]
        access = ACCESS[number % len(ACCESS)]
        email = f"{first}.{last}@{opts.domain}".lower()
        if access == "recruiter" and seat_emails:
            email = seat_emails.pop(0)
        user = _new(world, "user", since + rng.randrange(86400 * 30))
        user |= {"email": email, "first_name": first, "last_name": last, "access_level": access}
        world.store(user)
        users.append(user)
    return users


def _jobs(
    world: World, rng: random.Random, opts: SeedOptions, users: list[Record], now: float, span: int
) -> list[Record]:
    jobs: list[Record] = []
    for _ in range(opts.jobs):
        created = now - rng.randrange(span)
        city, region, country = rng.choice(PLACES)
        closed = rng.random() < 0.3
        job = _new(world, "job", created)
        job |= {
            "title": rng.choice(LEVELS) + rng.choice(JOB_TITLES),
            "description": "Join the team building warehouse robots used by hundreds of customers.",
            "department": rng.choice(DEPARTMENTS),
            "location": {"city": city, "region": region, "country": country, "postal_code": None},
            "status": "closed" if closed else "open",
            "privacy": "private" if rng.random() < 0.25 else "public",
            "listed": rng.random() >= 0.2,
            "restricted": rng.random() < 0.1,
            "hiring_team": [
                {"user_id": rng.choice(users)["id"], "role": "recruiter"},
                {"user_id": rng.choice(users)["id"], "role": "hiring_manager"},
            ],
        }
        if closed:
            job["closed_at"] = job["updated_at"] = iso(created + rng.randrange(max(1, int(now - created))))
        world.store(job)
        jobs.append(job)
    return jobs


def _candidates(
    world: World, rng: random.Random, opts: SeedOptions, users: list[Record], now: float, span: int
) -> list[Record]:
    candidates: list[Record] = []
    randrange, choice, rand = rng.randrange, rng.choice, rng.random
    for number in range(opts.candidates):
        first, last = choice(FIRST), choice(LAST)
        city, region, country = choice(PLACES)
        handle = f"{first}.{last}.{number}".lower()
        candidate = _new(world, "candidate", now - randrange(span))
        candidate |= {
            "first_name": first,
            "last_name": last,
            "emails": [{"address": f"{handle}@example.com", "type": "home"}],
            "phones": [{"number": f"+1 512 555 {number % 10000:04d}", "type": "mobile"}]
            if rand() < 0.7
            else [],
            "linkedin_url": f"https://www.linkedin.com/in/{handle.replace('.', '-')}"
            if rand() < 0.6
            else None,
            "current_company": choice(COMPANIES),
            "current_title": choice(TITLES),
            "location": {"city": city, "region": region, "country": country, "postal_code": None},
            "source": choice(SOURCES),
            "do_not_contact": rand() < 0.02,
        }
        world.store(candidate)
        candidates.append(candidate)
    return candidates


def _applications(
    world: World,
    rng: random.Random,
    opts: SeedOptions,
    candidates: list[Record],
    jobs: list[Record],
    users: list[Record],
    now: float,
) -> list[Record]:
    total = len(candidates) if opts.applications is None else opts.applications
    applications: list[Record] = []
    if not candidates:
        return applications
    for number in range(total):
        candidate = candidates[number] if number < len(candidates) else rng.choice(candidates)
        job = rng.choice(jobs)
        at = ANCHOR.timestamp() - (now - _epoch(candidate["created_at"])) * rng.random()
        history = []
        for stage in STAGES[1 : 1 + 1 + rng.randrange(len(STAGES) - 1)]:
            history.append(
                {"stage": stage, "entered_at": iso(at), "changed_by_user_id": rng.choice(users)["id"]}
            )
            at += rng.randrange(3600, 86400 * 10)
        history[0]["changed_by_user_id"] = None
        stage = history[-1]["stage"]
        status = "hired" if stage == "Hired" else ("rejected" if rng.random() < 0.15 else "active")
        application = _new(world, "application", _epoch(history[0]["entered_at"]))
        application |= {
            "candidate_id": candidate["id"],
            "job_id": job["id"],
            "stage": stage,
            "status": status,
            "stage_history": history,
            "source": candidate["source"],
            "version": len(history),
            "applied_at": history[0]["entered_at"],
            "updated_at": history[-1]["entered_at"],
        }
        world.store(application)
        applications.append(application)
    return applications


def _notes(
    world: World,
    rng: random.Random,
    opts: SeedOptions,
    candidates: list[Record],
    applications: list[Record],
    users: list[Record],
    now: float,
) -> int:
    total = len(candidates) // 2 if opts.notes is None else opts.notes
    for _ in range(total if candidates else 0):
        author = rng.choice(users)
        note = _new(world, "note", now - rng.randrange(86400 * 365))
        if applications and rng.random() < 0.5:
            application = rng.choice(applications)
            note |= {
                "candidate_id": application["candidate_id"],
                "application_id": application["id"],
                "job_id": application["job_id"],
            }
        else:
            note["candidate_id"] = rng.choice(candidates)["id"]
        note |= {
            "body": rng.choice(NOTES),
            "author_user_id": author["id"],
            "written_at": note["created_at"],
            "author_name": f"{author['first_name']} {author['last_name']}",
        }
        world.store(note)
    return total if candidates else 0


def _interviews(
    world: World, rng: random.Random, opts: SeedOptions, applications: list[Record], users: list[Record]
) -> int:
    total = len(applications) // 4 if opts.interviews is None else opts.interviews
    for _ in range(total if applications else 0):
        application = rng.choice(applications)
        at = _epoch(application["stage_history"][-1]["entered_at"])
        feedback = _new(world, "interview_feedback", at + 3600)
        feedback |= {
            "candidate_id": application["candidate_id"],
            "job_id": application["job_id"],
            "application_id": application["id"],
            "interviewer_user_id": rng.choice(users)["id"],
            "interview_type": rng.choice(("phone", "video", "onsite")),
            "interviewed_at": iso(at),
            "rating": rng.choice(("strong_no", "no", "yes", "strong_yes", None)),
            "summary": rng.choice(
                ("Clear communicator.", "Strong fundamentals.", "Not a fit for the level.")
            ),
        }
        world.store(feedback)
    return total if applications else 0


def _epoch(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
