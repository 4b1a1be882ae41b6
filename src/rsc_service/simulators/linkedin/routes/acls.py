"""Entity ACLs and ACL assignees: who in Recruiter may see synced jobs (their own throttle group)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..batch import Batch
from ..call import Call, require_organization, routes
from ..resource import Resource
from ..restli import Key
from ..schemas import KEY_ONLY

ACL_KEY = ("atsEntityAclId", "atsEntityId", "atsEntityType", "dataProvider", "integrationContext")
ASSIGNEE_KEY = ("assignee", "atsEntityAclId", "atsEntityType", "dataProvider", "integrationContext")
SECURABLE_TYPES = {"JOB_POSTING"}
# ACLs and assignees share a budget of their own, apart from the sync group's (docs/linkedin.md#throttles).
ACL_GROUP = "acls"
# Upsert, delete and the criteria finder (docs/linkedin.md#job-acls).
ACL_METHODS = {"batch_update", "batch_delete", "finder"}


def _entity_type(record: dict[str, Any]) -> list[str]:
    kind = record.get("atsEntityType")
    if kind is not None and kind not in SECURABLE_TYPES:
        return [f"ERROR :: /atsEntityType :: {kind!r} is not a securable entity type"]
    return []


def _check_acl(call: Call, key: Key, record: dict[str, Any]) -> list[str]:
    return _entity_type(dict(key))


def _check_assignee(call: Call, key: Key, record: dict[str, Any]) -> list[str]:
    fields = dict(key)
    problems = _entity_type(fields)
    if not fields["assignee"].startswith("urn:li:person:"):
        problems.append(f"ERROR :: /assignee :: {fields['assignee']!r} is not a person URN")
    store = call.world.collection("atsEntityAclAssignees")
    held = [
        k
        for k, _ in store.where(assignee=fields["assignee"], integrationContext=fields["integrationContext"])
    ]
    limit = call.world.config.max_acls_per_assignee
    if key not in held and len(held) >= limit:
        problems.append(f"ERROR :: /assignee :: a user may hold at most {limit} ACLs")
    return problems


def _criteria(collection: str, filters: tuple[str, ...]) -> Any:
    def find(call: Call) -> list[dict[str, Any]]:
        wanted = {name: value for name in filters if (value := call.query.get(name)) is not None}
        require_organization(wanted.get("integrationContext") or "", collection)
        call.check_context(wanted.get("integrationContext"), collection)
        call.charge(ACL_GROUP)
        return [dict(key) for key, _ in call.world.collection(collection).where(**wanted)]

    return find


ACLS = Resource(
    "atsEntityAcls",
    ACL_KEY,
    schema=KEY_ONLY,
    group=ACL_GROUP,
    after_write=_check_acl,
    finders={"criteria": _criteria("atsEntityAcls", ACL_KEY)},
)
ASSIGNEES = Resource(
    "atsEntityAclAssignees",
    ASSIGNEE_KEY,
    schema=KEY_ONLY,
    group=ACL_GROUP,
    after_write=_check_assignee,
    finders={"criteria": _criteria("atsEntityAclAssignees", ASSIGNEE_KEY)},
)


@routes.add("v2", "atsEntityAcls", ACL_METHODS)
async def acls(call: Call) -> Response:
    return Batch(call, ACLS).dispatch()


@routes.add("v2", "atsEntityAclAssignees", ACL_METHODS)
async def assignees(call: Call) -> Response:
    return Batch(call, ASSIGNEES).dispatch()
