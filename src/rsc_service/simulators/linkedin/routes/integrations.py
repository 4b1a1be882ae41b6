"""ATS integrations: naming, status by request id, and their configurations (CALLBACK_URL, viewers)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

from ..batch import Batch
from ..call import Call, routes
from ..errors import RestliError
from ..resource import Resource
from ..restli import Key, parse_path_key
from ..schemas import CONFIGURATION, INTEGRATION, is_web_url

INTEGRATION_KEY = ("dataProvider", "integrationContext", "integrationType", "tenantType")
INTEGRATION_TYPES = {
    "APPLY_CONNECT",
    "APPLY_WITH_LINKEDIN",
    "CSA_API",
    "IN_ATS_INDICATOR",
    "ONE_CLICK_EXPORT",
    "PROFILE_PLUGIN",
    "RECOMMENDED_MATCHES",
    "UNIFIED_SEARCH",
}
# Naming, the enablement check and the `request` finder: never a PUT or a DELETE, which would undo what the
# customer enabled in Recruiter (docs/linkedin.md#integrations-and-configurations).
INTEGRATION_METHODS = {"batch_partial_update", "batch_get", "finder"}
CONFIGURATION_NAMES = {"CALLBACK_URL", "JOB_POSTING_VIEWERS", "APPLICATION_VIEWERS"}


def _name_integration(call: Call, key: Key, record: dict[str, Any]) -> list[str]:
    fields = dict(key)
    problems = []
    if fields["integrationType"] not in INTEGRATION_TYPES:
        problems.append(
            f"ERROR :: /integrationType :: {fields['integrationType']!r} is not an integration type"
        )
    if fields["tenantType"] != "RECRUITER":
        problems.append(f"ERROR :: /tenantType :: {fields['tenantType']!r} is not RECRUITER")
    contract_scoped = fields["integrationContext"].startswith("urn:li:contract:")
    if contract_scoped != (fields["integrationType"] == "CSA_API"):
        problems.append(
            "ERROR :: /integrationContext :: CSA_API takes a contract URN, other types an organization URN"
        )
    record.setdefault("status", "DISABLED")
    record["lastModifiedAt"] = call.now_ms
    return problems


def _requests(call: Call) -> list[dict[str, Any]]:
    group = "rest/integrations" if call.versioned else "atsIntegrations"
    call.charge(group)
    request = call.world.status_requests.get(call.query.get("requestId") or "")
    if request is None:
        return []
    return [dict(i) for i in request.integrations if call.owns(str(i.get("integrationContext")))]


def _insecure_target(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _check_configuration(call: Call, key: Key, record: dict[str, Any]) -> list[str]:
    name = dict(key)["configuration"]
    if name not in CONFIGURATION_NAMES:
        return [f"ERROR :: /configuration :: {name!r} is not a known configuration"]
    if name != "CALLBACK_URL":
        return []
    # The schema (schemas.CONFIGURATION) let through only a union holding one string.
    url: str = record["configurationValue"]["string"]
    if not is_web_url(url):
        return [f"ERROR :: /configurationValue/string :: {json.dumps(url)} is not an absolute https URL"]
    parts = urlsplit(url)
    insecure_ok = call.world.config.allow_insecure_local
    if parts.scheme != "https" and not (insecure_ok and parts.scheme == "http"):
        return ["ERROR :: /configurationValue/string :: the callback URL must use https"]
    if not insecure_ok and (parts.port not in (None, 80, 443) or _insecure_target(parts.hostname or "")):
        return [
            "ERROR :: /configurationValue/string :: the callback URL must be public and on port 80 or 443"
        ]
    organization = dict(key)["integrationContext"]
    for other_key, other in call.world.collection("configurations").records.items():
        fields = dict(other_key)
        if (
            fields.get("configuration") == "CALLBACK_URL"
            and fields["integrationContext"] != organization
            and other.get("configurationValue", {}).get("string") == url
        ):
            return ["ERROR :: /configurationValue/string :: another customer already uses this callback URL"]
    call.world.callbacks.pop(url, None)
    return []


# atsIntegrations and rest/integrations each have a daily budget of their own (docs/linkedin.md#throttles);
# the configurations under an integration count against the budget of the resource they live under.
INTEGRATIONS = Resource(
    "atsIntegrations",
    INTEGRATION_KEY,
    schema=INTEGRATION,
    group="atsIntegrations",
    gated=False,
    organization_only=False,
    partial_creates=True,
    after_write=_name_integration,
    finders={"request": _requests},
)
CONFIGURATIONS = Resource(
    "configurations",
    INTEGRATION_KEY,
    child_field="configuration",
    schema=CONFIGURATION,
    group="atsIntegrations",
    gated=False,
    organization_only=False,
    after_write=_check_configuration,
    parent="atsIntegrations",
)


@routes.add("v2", "atsIntegrations", INTEGRATION_METHODS)
async def integrations(call: Call) -> Response:
    return Batch(call, INTEGRATIONS).dispatch()


@routes.add("v2", "atsIntegrations/*/configurations", {"batch_update", "batch_get", "batch_delete"})
async def configurations(call: Call) -> Response:
    parent = parse_path_key(call.segments[1], call.protocol)
    if set(dict(parent)) != set(INTEGRATION_KEY):
        raise RestliError(400, f"Invalid integration key: expected fields {sorted(INTEGRATION_KEY)}")
    return Batch(call, CONFIGURATIONS, parent).dispatch()
