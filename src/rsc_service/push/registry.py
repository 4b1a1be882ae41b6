"""The LinkedIn resources the push writes, and what is asked of them as a whole: what one mirror record
owes, in which order rows are sent, how each is sent, and which record a row comes from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from rsc_service.outbox.ops import Intent, Op
from rsc_service.outbox.sending import Send
from rsc_service.push.candidates import APPLICATIONS, CANDIDATES, STAGES
from rsc_service.push.fields import PushContext, Source
from rsc_service.push.notes import APPLICATION_NOTES, CANDIDATE_NOTES, INTERVIEW_FEEDBACK
from rsc_service.push.postings import ACL_ASSIGNEES, ACLS, JOBS
from rsc_service.push.resource import Resource


class Registry:
    """Resources in declaration order: parents before children (the order a record's intents come in)."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self._by_name = {resource.name: resource for resource in resources}
        if len(self._by_name) != len(resources):
            raise ValueError("two resources declare the same name")
        self._by_kind: dict[str, list[Resource]] = {}
        for resource in resources:
            self._by_kind.setdefault(resource.kind, []).append(resource)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self._by_name.values())

    def __getitem__(self, name: str) -> Resource:
        try:
            return self._by_name[name]
        except KeyError:
            raise ValueError(f"unknown resource {name!r}") from None

    def with_(self, *resources: Resource) -> Registry:
        """This registry and `resources` besides (a feature, or a test, declaring resources of its own)."""
        return Registry([*self, *resources])

    # ---- what the outbox's dispatcher asks (outbox.sending.Routes) ----

    def knows(self, resource: str) -> bool:
        return resource in self._by_name

    def sender(self, resource: str) -> Send:
        return self[resource].send

    def tier(self, resource: str) -> int:
        return self[resource].tier

    def parent_in_url(self, resource: str) -> bool:
        return self[resource].parent_in_url

    # ---- what the push asks ----

    def intents_for(
        self, kind: str, data: Mapping[str, Any], *, deleted: bool, ctx: PushContext
    ) -> list[Intent]:
        """What one mirror record owes LinkedIn: writes parents first, deletions children first.

        `data` is the record as JSON; for a deletion it may be only the tombstone (id, version, deleted_at and
        the parent ids). A deleted job is closed; to close it with its full posting, and to delete an
        application's stages, the mirror passes the last known record with the tombstone's fields. Kinds no
        resource is fed by (users) owe nothing.
        """
        resources = self._by_kind.get(kind)
        if not resources:
            return []
        source = Source(kind, data, deleted=deleted)
        built = [resource.build(source, ctx) for resource in resources]
        # Writes parents first, deletions children first (docs/architecture.md#8-deleting).
        writes = [intent for intents in built for intent in intents if intent.op is not Op.DELETE]
        deletions = [intent for intents in reversed(built) for intent in intents if intent.op is Op.DELETE]
        return writes + deletions

    def origin(self, resource: str, key: str, path_parent: str | None) -> tuple[str, str] | None:
        """The mirror record (kind, ats id) whose intents include the row (resource, key); None if no single
        record builds it."""
        declared = self[resource]
        if declared.origin is None:
            return None
        return declared.kind, declared.origin(key, path_parent)


RESOURCES = Registry(
    [
        JOBS,
        CANDIDATES,
        APPLICATIONS,
        CANDIDATE_NOTES,
        APPLICATION_NOTES,
        INTERVIEW_FEEDBACK,
        STAGES,
        ACLS,
        ACL_ASSIGNEES,
    ]
)
