"""Provisioning customer (child) applications with the partner app's token."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import unquote

from starlette.responses import JSONResponse, Response

from ..auth import require_partner
from ..batch import page
from ..call import Call, routes
from ..errors import RestliError
from ..models import App
from ..patches import DELETE, SET, check_patch
from ..schemas import APPLICATION_CREATE, check, utf16_length

NAME_MAX = 50
SETTABLE = {"validJsSdkDomains", "oauth2AuthorizedCallbackUrls", "name", "description"}


def _problems(fields: dict[str, Any]) -> list[str]:
    problems = []
    name = fields.get("name")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            problems.append("name must be a non-empty string")
        elif utf16_length(name) > NAME_MAX:
            # Counted in UTF-16 code units, as Java counts (docs/linkedin.md#values).
            problems.append(f"name must be at most {NAME_MAX} characters")
        elif "linkedin" in name.lower():
            problems.append("name must not contain LinkedIn")
    for domain in fields.get("validJsSdkDomains") or []:
        if not isinstance(domain, str) or domain.endswith("/"):
            problems.append(f"validJsSdkDomains entry {domain!r} must be a domain with no trailing /")
    return problems


def _refuse(call: Call, problems: list[str]) -> None:
    """Rest.li's schema check comes before LinkedIn's own rules (docs/linkedin.md#values)."""
    if problems:
        raise RestliError(call.world.config.entity_error_status, "\n".join(problems))


def _children(call: Call) -> list[App]:
    return [
        a for a in call.world.apps.values() if a.kind == "child" and a.parent == call.caller.app.client_id
    ]


def _create(call: Call) -> Response:
    body = call.json_body()
    if not isinstance(body, dict):
        raise RestliError(400, "The request body must be a JSON object")
    _refuse(call, check(body, APPLICATION_CREATE, call.world.config.times))
    if not body.get("uniqueForeignId") or not body.get("name"):
        raise RestliError(422, "uniqueForeignId and name are required")
    problems = _problems(body)
    if problems:
        raise RestliError(422, "; ".join(problems))
    if any(a.unique_foreign_id == body["uniqueForeignId"] for a in _children(call)):
        raise RestliError(
            409, f"An application with uniqueForeignId {body['uniqueForeignId']} already exists"
        )
    app = App(
        secrets.token_hex(7),
        secrets.token_urlsafe(12),
        call.world.next_id(),
        "child",
        parent=call.caller.app.client_id,
        name=body["name"],
        description=str(body.get("description") or ""),
        unique_foreign_id=body["uniqueForeignId"],
        js_domains=list(body.get("validJsSdkDomains") or []),
        callback_urls=list(body.get("oauth2AuthorizedCallbackUrls") or []),
    )
    call.world.apps[app.client_id] = app
    headers = {
        "X-LinkedIn-Id": app.urn,
        "X-RestLi-Id": app.urn,
        "Location": f"/v2/provisionedApplications/{app.urn}",
    }
    return JSONResponse(app.as_json(), status_code=201, headers=headers)


@routes.add("v2", "provisionedApplications", {"create", "finder"})
async def provisioned_applications(call: Call) -> Response:
    require_partner(call.world, call.caller, "provisionedApplications")
    if call.restli_method == "create":
        return _create(call)
    if call.query.get("q") != "credentialsByUniqueForeignId":
        raise RestliError(400, "provisionedApplications supports the finder q=credentialsByUniqueForeignId")
    wanted = call.query.get("uniqueForeignId")
    return page(call, [a.as_json() for a in _children(call) if a.unique_foreign_id == wanted])


@routes.add("v2", "provisionedApplications/*", {"partial_update"})
async def provisioned_application(call: Call) -> Response:
    require_partner(call.world, call.caller, "provisionedApplications")
    urn = unquote(call.segments[1])
    app = next((a for a in _children(call) if a.urn == urn), None)
    if app is None:
        raise RestliError(404, f"Application {urn} not found")
    body = call.json_body()
    patch = body.get("patch") if isinstance(body, dict) else None
    if not isinstance(patch, dict):
        raise RestliError(400, 'The request body must be a patch: {"patch": {"$set": {...}}}')
    _refuse(call, check_patch(patch, APPLICATION_CREATE, call.world.config.times))
    fields: dict[str, Any] = patch.get(SET) or {}
    deleted = set(patch.get(DELETE) or [])
    if not set(fields) <= SETTABLE:
        raise RestliError(400, f"The patch may only $set {sorted(SETTABLE)}")
    problems = _problems(fields)
    if problems:
        raise RestliError(422, "; ".join(problems))
    app.js_domains = list(_patched(fields, deleted, "validJsSdkDomains", app.js_domains, []))
    app.callback_urls = list(_patched(fields, deleted, "oauth2AuthorizedCallbackUrls", app.callback_urls, []))
    app.name = str(fields.get("name", app.name))  # required: never null nor deleted (the schema)
    app.description = str(_patched(fields, deleted, "description", app.description, ""))
    return Response(status_code=204)


def _patched(fields: dict[str, Any], deleted: set[str], name: str, current: Any, empty: Any) -> Any:
    """An optional field after the patch: its `$set` value; `empty` when deleted or set to null; else as
    it was."""
    if name in deleted or (name in fields and fields[name] is None):
        return empty
    return fields.get(name, current)
