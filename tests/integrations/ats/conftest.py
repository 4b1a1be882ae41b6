"""What the ATS client's tests share: the ATS's address, a user as it answers one, and a recorder of the
client's backoff waits in place of sleeping."""

from __future__ import annotations

import pytest

BASE = "https://acme.ats.example/api/v1"
STAMP = "2026-03-02T09:15:00Z"
USER = {
    "kind": "user",
    "id": "usr_1",
    "version": 1,
    "created_at": STAMP,
    "updated_at": STAMP,
    "email": "maria@acme.example",
    "first_name": "Maria",
    "last_name": "Lopez",
    "access_level": "admin",
    "active": True,
}


class Sleeps:
    """The client's `sleep`: records each wait instead of taking it."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
