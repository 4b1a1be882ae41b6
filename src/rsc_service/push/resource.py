"""Resource: everything the service knows of one LinkedIn resource it writes, declared in one place.

A declaration names the resource (the outbox's `resource`, LinkedIn's path under /v2), its place in the
send order, the mirror kind whose records feed it, the function that builds what one record owes it, how a
batch is sent, and — for a sub-collection — its parent. Adding a resource is one declaration and its
payload function (docs/architecture.md#5-resources).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from rsc_service.integrations.linkedin import wire as li
from rsc_service.outbox.ops import Intent, Op
from rsc_service.outbox.sending import Send
from rsc_service.push.fields import PushContext, Source

# The intents one mirror record owes a resource, parents' before children's.
Build = Callable[[Source, PushContext], list[Intent]]


def _own_key(key: str, path_parent: str | None) -> str:
    return key


class Unsendable(ValueError):
    """A record a payload function will not build because LinkedIn would refuse it; the message names the
    fields as Rest.li would ("/field :: reason")."""


class KeyOnly(li.Wire):
    """The body of a record whose data all lives in its Rest.li key (job ACLs): an empty object."""


@dataclass(frozen=True, eq=False)
class Resource:
    name: str  # "atsCandidates"; a sub-collection is "parent/collection" ("atsApplications/stages")
    tier: int  # 0 first: parents are written before their children and deleted after them
    kind: str  # the mirror kind whose records feed it
    build: Build
    send: Send
    parent: Resource | None = None  # a sub-collection's parent, whose key sits in the URL
    # The ats id of the record that feeds a row, from the row's key and path parent; None when no single
    # record does (an ACL assignee): its stored payload is then the current one.
    origin: Callable[[str, str | None], str] | None = _own_key
    # Whether a row's path parent sits in the URL it is sent to, so that a batch takes one parent only. False
    # where it only files a row under the record it belongs to (a job's ACLs), and batches mix parents.
    parent_in_url: bool = True

    def ref(self, key: str) -> str:
        """A row of this resource as a dependency: "resource:key"."""
        return f"{self.name}:{key}"

    def intent(
        self,
        key: str,
        op: Op,
        payload: li.Wire | Callable[[], li.Wire] | None,
        *,
        path_parent: str | None = None,
        depends_on: Sequence[str] = (),
    ) -> Intent:
        """The intent for one record. The payload is built here: a record LinkedIn would refuse as built is
        owed as refused, naming the record and the fields, rather than failing when it is sent."""
        if payload is None:
            return Intent(self.name, key, op, None, path_parent=path_parent, depends_on=tuple(depends_on))
        try:
            body = (payload if isinstance(payload, li.Wire) else payload()).to_wire()
        except (ValidationError, Unsendable) as error:
            return Intent(
                self.name,
                key,
                op,
                None,
                path_parent=path_parent,
                depends_on=tuple(depends_on),
                refused=f"{self.name} {key} cannot be sent: "
                + (refusal(error) if isinstance(error, ValidationError) else str(error)),
            )
        return Intent(self.name, key, op, body, path_parent=path_parent, depends_on=tuple(depends_on))


def refusal(error: ValidationError) -> str:
    """The fields a wire model refused, by their wire names, worded as Rest.li words its own errors."""
    problems = []
    for item in error.errors()[:5]:
        path = "/".join(to_camel(part) if isinstance(part, str) else str(part) for part in item["loc"])
        problems.append(f"/{path} :: {item['msg']}")
    return "; ".join(problems)
