"""Job leases: one row per singleton job; epoch fencing; once per interval by the database clock.

A run starts only when the lease is free (or expired) and the last start is at least one interval
ago, less a small slack. Taking the lease bumps `epoch`; writes that must not come from a stale
holder check it (`still_held`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base


class JobLease(Base):
    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    epoch: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]


# Replicas read `now` a moment apart (and a holder renews to its own `now` plus its TTL): a lease dated up
# to this far past `now` is a lease of a right clock.
CLOCK_SLACK: Final = timedelta(minutes=1)
# No holder on a right clock sets its lease to expire further than this (plus the slack) past `now`: TTLs
# are minutes, and a replica may run with a TTL of its own.
LONGEST_TTL: Final = timedelta(hours=1)


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    epoch: int


async def _ensure_row(session: AsyncSession, name: str) -> None:
    if await session.get(JobLease, name) is not None:
        return
    try:
        async with session.begin_nested():
            await session.execute(insert(JobLease).values(name=name, epoch=0))
    except IntegrityError:
        pass  # another replica created it first; the UPDATE below decides who runs


async def acquire(
    session: AsyncSession,
    *,
    name: str,
    holder: str,
    now: datetime,
    ttl: timedelta,
    interval: timedelta,
    slack: timedelta,
) -> Lease | None:
    """Take the lease `name` when it is free and the job is due; None when another holder has it or it ran
    less than `interval` (less `slack`) ago.

    A lease dated by a clock that ran ahead and was put right since is stale, or no run would start until
    the clock caught up with it (docs/architecture.md#12-clocks): one started more than `CLOCK_SLACK` (or
    `ttl`) after `now`, or expiring more than `LONGEST_TTL` past that."""
    await _ensure_row(session, name)
    due_before = now - interval + slack
    ahead = now + max(ttl, CLOCK_SLACK)
    result = await session.execute(
        update(JobLease)
        .where(
            JobLease.name == name,
            (JobLease.expires_at.is_(None))
            | (JobLease.expires_at < now)
            | (JobLease.expires_at > ahead + max(ttl, LONGEST_TTL)),
            (JobLease.last_started_at.is_(None))
            | (JobLease.last_started_at <= due_before)
            | (JobLease.last_started_at > ahead),
        )
        .values(holder=holder, epoch=JobLease.epoch + 1, expires_at=now + ttl, last_started_at=now)
        .returning(JobLease.epoch)
        .execution_options(synchronize_session=False)
    )
    epoch = result.scalar_one_or_none()
    return None if epoch is None else Lease(name=name, holder=holder, epoch=epoch)


async def renew(session: AsyncSession, lease: Lease, *, now: datetime, ttl: timedelta) -> bool:
    result = await session.execute(
        update(JobLease)
        .where(JobLease.name == lease.name, JobLease.epoch == lease.epoch, JobLease.holder == lease.holder)
        .values(expires_at=now + ttl)
        .returning(JobLease.epoch)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


async def release(session: AsyncSession, lease: Lease, *, now: datetime) -> None:
    await session.execute(
        update(JobLease)
        .where(JobLease.name == lease.name, JobLease.epoch == lease.epoch, JobLease.holder == lease.holder)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


async def still_held(session: AsyncSession, lease: Lease) -> bool:
    """Fencing check for writes made under a lease: false once another holder has taken it."""
    epoch = await session.scalar(select(JobLease.epoch).where(JobLease.name == lease.name))
    return epoch == lease.epoch


class JobRun(Base):
    """One row per singleton run: what operators read for "when did X last run, and how did it end"."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    holder: Mapped[str] = mapped_column(String(200))
    epoch: Mapped[int]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str | None] = mapped_column(String(500))


class Replica(Base):
    """Every running process with a scheduler, refreshed by its heartbeat job."""

    __tablename__ = "replicas"

    holder: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    version: Mapped[str] = mapped_column(String(40))


async def start_run(session: AsyncSession, lease: Lease, *, now: datetime) -> JobRun:
    run = JobRun(name=lease.name, holder=lease.holder, epoch=lease.epoch, started_at=now, outcome="running")
    session.add(run)
    await session.flush()
    return run


async def finish_run(
    session: AsyncSession, run_id: int, *, now: datetime, outcome: str, error: str | None = None
) -> None:
    await session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(finished_at=now, outcome=outcome, error=error[:500] if error else None)
        .execution_options(synchronize_session=False)
    )


async def prune_runs(session: AsyncSession, *, before: datetime) -> int:
    result = await session.execute(
        delete(JobRun).where(JobRun.started_at < before).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def heartbeat(session: AsyncSession, *, holder: str, now: datetime, version: str) -> None:
    replica = await session.get(Replica, holder)
    if replica is None:
        session.add(Replica(holder=holder, started_at=now, seen_at=now, version=version))
    else:
        replica.seen_at = now
    await session.flush()
