"""Who a restricted job's ACL groups are assigned to, kept current when seats change hands.

A restricted job gets one ACL group per ATS user on its hiring team (`user-<id>`) and that group's
assignee is the member holding the user's seat (docs/linkedin.md#job-acls). The assignee belongs to the
seat, not to any job: when a user gains, loses or changes seat, the assignee of the user's group is owed
again here — the old holder deleted, the new one added — without touching the jobs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Final
from urllib.parse import quote, unquote

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.outbox import service as outbox_service
from rsc_service.outbox import tenant_rows
from rsc_service.outbox.ops import Intent, Op

ACLS: Final = "atsEntityAcls"  # group/jobId: the job is shown to the group
ASSIGNEES: Final = "atsEntityAclAssignees"  # group/personUrn: the group's member


def acl_group(user_id: str) -> str:
    return f"user-{user_id}"


def acl_key(group: str, other: str) -> str:
    """The outbox key of an ACL ("group/jobId") or assignee ("group/personUrn"); parts percent-quoted."""
    return f"{quote(group, safe='')}/{quote(other, safe='')}"


def split_acl_key(key: str) -> tuple[str, str]:
    group, _, other = key.partition("/")
    return unquote(group), unquote(other)


def changed(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, tuple[str | None, str | None]]:
    """ATS user -> (member before, member after), for each user whose seat holder changed."""
    return {
        user: (before.get(user), after.get(user))
        for user in sorted(set(before) | set(after))
        if before.get(user) != after.get(user)
    }


async def owe_assignees(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    moves: Mapping[str, tuple[str | None, str | None]],
    *,
    now: datetime,
) -> int:
    """Owe LinkedIn the assignee changes of `moves` (from `changed()`): the old holder's assignment deleted
    where LinkedIn may hold it, the new holder's added where the user's group guards a job. Flushed with the
    caller's transaction; returns the rows owed."""
    if not moves:
        return 0
    groups = [quote(acl_group(user), safe="") + "/" for user in moves]
    guarding = await tenant_rows.live_keys(session, tenant_id, ACLS, prefixes=groups)
    assigned = await tenant_rows.live_keys(session, tenant_id, ASSIGNEES, prefixes=groups)
    intents = []
    for user, (old, new) in moves.items():
        group = acl_group(user)
        if old is not None and acl_key(group, old) in assigned:
            intents.append(Intent(ASSIGNEES, acl_key(group, old), Op.DELETE, None))
        if new is not None and any(key.startswith(quote(group, safe="") + "/") for key in guarding):
            intents.append(Intent(ASSIGNEES, acl_key(group, new), Op.UPSERT, {}))
    if intents:
        await outbox_service.enqueue(session, [outbox_service.Owed(tenant_id, intents, 0)], now=now)
    return len(intents)
