"""One-Click Export retrieval (`/v2` and versioned `/rest`) and closed profiles (`/rest` only)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..batch import page
from ..call import Call, routes
from ..errors import RestliError
from ..models import Export
from ..world import World


def stub_profile(world: World, export: Export) -> dict[str, Any]:
    member = world.members.get(export.member)
    if member is None:
        return {"member": f"urn:li:person:{export.member}"}
    return {
        "member": member.urn,
        "firstName": member.first_name,
        "lastName": member.last_name,
        "headline": member.headline,
        "emailAddress": member.emails[0] if member.emails else None,
        "phoneNumbers": [{"number": member.phone}] if member.phone else [],
        "profileUrl": f"https://www.linkedin.com/in/{member.person_id}",
    }


def export_view(world: World, export: Export) -> dict[str, Any]:
    return {
        "requestId": export.request_id,
        "integrationContext": export.organization,
        "candidate": stub_profile(world, export),
        "exporter": f"urn:li:seat:{export.seat}",
        "atsJobPostingId": export.job,
        "exportedAt": export.at,
    }


@routes.add("v2", "exportedCandidates", {"finder"})
@routes.add("rest", "exportedCandidates", {"finder"})
async def exported_candidates(call: Call) -> Response:
    if call.query.get("q") != "request":
        raise RestliError(400, "exportedCandidates supports the finder q=request")
    # /v2 and /rest each have a daily budget of their own (docs/linkedin.md#throttles).
    group = "rest/exportedCandidates" if call.versioned else "exportedCandidates"
    call.charge(group)
    export = call.world.exports.get(call.query.get("requestId") or "")
    elements = []
    if export is not None and call.owns(export.organization):
        call.check_context(export.organization, "exportedCandidates")
        elements.append(export_view(call.world, export))
    return page(call, elements)


# Polled with paging only, or with a finder name (`q=integrationContext`): which of the two LinkedIn serves
# is not published (docs/linkedin.md#retrieval), so both are answered alike.
@routes.add("rest", "atsPurgedExportedCandidates", {"get_all", "finder"})
async def purged_exported_candidates(call: Call) -> Response:
    """Exported candidates whose LinkedIn profile was closed since the export."""
    call.charge("rest/atsPurgedExportedCandidates")
    organization = call.caller.app.organization
    elements = [
        {
            "member": f"urn:li:person:{e.member}",
            "integrationContext": e.organization,
            "requestId": e.request_id,
        }
        for e in call.world.exports.values()
        if e.organization == organization and (m := call.world.members.get(e.member)) is not None and m.closed
    ]
    return page(call, elements)
