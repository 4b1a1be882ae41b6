"""The shape of a sender: one resource's batch of (key, payload) → LinkedIn → what happened to each key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rsc_service.integrations.linkedin import LinkedInApp
from rsc_service.integrations.linkedin.errors import EntityError

Item = tuple[str, dict[str, Any] | None]  # (our key, payload; None for a delete)

# Held once a task closed a job only so that it can be posted again, as a new job (OutboxMessage.held).
REPOST = "REPOST"


@dataclass(frozen=True)
class Target:
    app: LinkedInApp
    integration_context: str
    path_parent: str | None
    landed: frozenset[str] = frozenset()  # keys of the batch LinkedIn has held before (a write was accepted)
    held: Mapping[str, str] = field(default_factory=dict)  # what LinkedIn holds of a key, where a sender said


@dataclass
class Sent:
    """Per key: landed (with a job's task id, when LinkedIn answers with one) or LinkedIn's error."""

    ok: dict[str, str | None] = field(default_factory=dict)
    errors: dict[str, EntityError] = field(default_factory=dict)
    # Per landed key with a task: what LinkedIn will hold once the task succeeds (OutboxMessage.held).
    holding: dict[str, str] = field(default_factory=dict)


Send = Callable[[Target, Sequence[Item]], Awaitable[Sent]]


class Routes(Protocol):
    """What the dispatcher needs to know of the resources it sends (push/registry.py declares them)."""

    def knows(self, resource: str) -> bool:
        """Whether this release declares `resource` (a newer one's rows may be left behind by a rollback)."""
        ...

    def sender(self, resource: str) -> Send: ...

    def tier(self, resource: str) -> int:
        """Parent-before-child rank of a resource: parents are written first and deleted last."""
        ...

    def parent_in_url(self, resource: str) -> bool:
        """Whether a row's path parent sits in the URL its batch is sent to: then a batch has one parent."""
        ...
