"""`/v2/me` for a member's 3-legged token (how a partner learns a person id by hand)."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ..call import Call, routes
from ..errors import RestliError


@routes.add("v2", "me", {"get"}, simple=True)
async def me(call: Call) -> Response:
    if call.caller.member is None:
        raise RestliError(403, "Not enough permissions to access: me.GET.NO_VERSION", 100)
    member = call.world.members.get(call.caller.member)
    if member is None:
        raise RestliError(404, "Member not found")
    profile = {
        "id": member.person_id,
        "localizedFirstName": member.first_name,
        "localizedLastName": member.last_name,
    }
    fields = call.query.get("fields")
    if fields:
        wanted = {f.strip() for f in fields.split(",")}
        profile = {k: v for k, v in profile.items() if k in wanted}
    return JSONResponse(profile)
