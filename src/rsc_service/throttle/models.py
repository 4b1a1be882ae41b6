"""One LinkedIn application's budgets, shared by every replica: a bucket per group and its sliding window."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from rsc_service.db.base import Base


class ThrottleBucket(Base):
    """One LinkedIn application's budget in one throttle group, shared by every replica
    (docs/architecture.md#10-throttle)."""

    __tablename__ = "throttle_buckets"

    app: Mapped[str] = mapped_column(String(200), primary_key=True)
    group: Mapped[str] = mapped_column(String(30), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), default="")
    requests_today: Mapped[int] = mapped_column(default=0)
    paused_until: Mapped[datetime | None]
    backoff_level: Mapped[int] = mapped_column(default=0)


class ThrottleSlot(Base):
    """Records sent in one tick (a tenth of a second since the epoch), for the sliding 60-second record
    budget."""

    __tablename__ = "throttle_slots"

    app: Mapped[str] = mapped_column(String(200), primary_key=True)
    group: Mapped[str] = mapped_column(String(30), primary_key=True)
    tick: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    records: Mapped[int] = mapped_column(default=0)
