"""One parsed Rest.li API call, and the table that routes raw path shapes to resource handlers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.responses import Response

from .auth import Caller
from .errors import RestliError
from .restli import PROTOCOL_1, PROTOCOL_2, Query
from .schemas import ORGANIZATION_URN_FORM
from .world import ORG_TYPES, World

Handler = Callable[["Call"], Awaitable[Response]]


@dataclass
class Call:
    """What a handler needs: the world, the caller, the Rest.li method and the raw request parts."""

    world: World
    caller: Caller
    http_method: str
    restli_method: str
    protocol: str
    query: Query
    raw_body: bytes
    segments: list[str]
    versioned: bool
    headers: dict[str, str]

    @property
    def now_ms(self) -> int:
        return self.world.clock.now_ms()

    def charge(self, group: str | None, records: int = 1) -> None:
        """Count this request (and its records) against the caller's budget of `group` (None: no budget); 429
        past it."""
        self.world.throttle.charge(group, self.caller.app.client_id, records, self.world.now())

    def json_body(self) -> Any:
        if not self.raw_body.strip():
            raise RestliError(400, "Request body is required")
        try:
            return json.loads(self.raw_body)
        except ValueError as exc:
            raise RestliError(400, f"Invalid JSON in request body: {exc}") from exc
        except RecursionError:
            # Nesting deeper than any record: a malformed body like any other, never a crash.
            raise RestliError(400, "Invalid JSON in request body: nested too deeply") from None

    def owns(self, context: str) -> bool:
        app = self.caller.app
        return context == app.organization or context in app.contracts

    def check_context(self, context: str | None, resource: str, gated: bool = True) -> None:
        """403 for another customer's context, and (when gating) for a context with no enabled integration."""
        if not context or not self.owns(context):
            raise RestliError(
                403, f"Not enough permissions to access: {resource} for integrationContext {context}", 100
            )
        if gated and self.world.config.gate_on_integration:
            types = ORG_TYPES if context.startswith("urn:li:organization:") else ("CSA_API",)
            if not self.world.integration_enabled(context, types):
                raise RestliError(403, f"Integration is not enabled for integrationContext {context}", 100)

    def start_count(self, default_count: int = 10) -> tuple[int, int]:
        try:
            start = int(self.query.get("start") or 0)
            count = int(self.query.get("count") or default_count)
        except ValueError as exc:
            raise RestliError(400, "Invalid paging parameters") from exc
        if start < 0 or count < 0:
            raise RestliError(400, "Invalid paging parameters")
        return start, count


# Rest.li's routing: the HTTP verb, the X-RestLi-Method header (lower case; "" when absent), whether the call
# names a finder (`q`), carries batch `ids`, and addresses one entity (a key or a simple resource last in the
# path) give the method; any other combination is a 400 (docs/linkedin.md#versions-and-protocol). So a POST
# never updates or deletes, a PUT never patches, and a POST with `ids` must name its overload.
_ROUTING: dict[tuple[str, str, bool, bool, bool], str] = {}
for _verb, _method, _finder, _batch, _entity in (
    ("GET", "get", False, False, True),
    ("GET", "finder", True, False, False),
    ("GET", "get_all", False, False, False),
    ("GET", "batch_get", False, True, False),
    ("PUT", "update", False, False, True),
    ("PUT", "batch_update", False, True, False),
    ("POST", "partial_update", False, False, True),
    ("POST", "create", False, False, False),
    ("DELETE", "delete", False, False, True),
    ("DELETE", "batch_delete", False, True, False),
):
    _ROUTING[(_verb, "", _finder, _batch, _entity)] = _method
    _ROUTING[(_verb, _method, _finder, _batch, _entity)] = _method
# The POST overloads are never inferred: the header is required.
_ROUTING[("POST", "batch_create", False, False, False)] = "batch_create"
_ROUTING[("POST", "batch_partial_update", False, True, False)] = "batch_partial_update"
VERBS = frozenset({"GET", "PUT", "POST", "DELETE"})


def require_organization(context: str, resource: str) -> None:
    """400 unless `context` is an organization URN: what sync records, jobs and ACLs are keyed by; only
    integrations (CSA_API) name a contract (docs/linkedin.md#keys)."""
    if not ORGANIZATION_URN_FORM.match(context):
        raise RestliError(
            400,
            f"Invalid integrationContext {context} for {resource}: expected the customer's organization,"
            " urn:li:organization:{id}",
        )


def effective_method(http_method: str, header: str | None, query: Query, entity: bool) -> str:
    """The Rest.li method of a call, from its verb, X-RestLi-Method (any case), `q`, `ids` and level."""
    if http_method not in VERBS:
        raise RestliError(405, f"Method {http_method} is not supported")
    header = (header or "").strip().lower()
    names = {n for n, _ in query.pairs}
    has_ids = "ids" in names or any(n.startswith("ids[") for n in names)
    if "action" in names:
        raise RestliError(400, f"{http_method} operation named {query.get('action')} is not supported")
    method = _ROUTING.get((http_method, header, "q" in names, has_ids, entity))
    if method is None:
        with_header = f" with X-RestLi-Method: '{header}'" if header else ""
        raise RestliError(400, f"{http_method} operation not supported for this URI{with_header}")
    return method


@dataclass(frozen=True)
class Route:
    """One resource's path shape, handler and the Rest.li methods it offers."""

    family: str
    shape: tuple[str, ...]
    handler: Handler
    methods: frozenset[str]
    entity: bool  # the path ends at one entity: a key, or a simple resource such as `me`


class RouteTable:
    """Raw path shapes (`*` matches one raw segment, keys included) mapped to handlers."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self, family: str, shape: str, methods: set[str], *, simple: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register a handler for `shape`, offering only `methods` (any other is refused before it runs)."""
        parts = tuple(shape.split("/"))

        def register(handler: Handler) -> Handler:
            entity = simple or parts[-1] == "*"
            self.routes.append(Route(family, parts, handler, frozenset(methods), entity))
            return handler

        return register

    def find(self, family: str, segments: list[str]) -> Route | None:
        for route in self.routes:
            if route.family != family or len(route.shape) != len(segments):
                continue
            if all(p == "*" or p == unquote(s) for p, s in zip(route.shape, segments, strict=True)):
                return route
        return None


routes = RouteTable()


def protocol_of(headers: dict[str, str], versioned: bool) -> str:
    version = headers.get("x-restli-protocol-version", "").strip()
    return PROTOCOL_2 if versioned or version.startswith("2") else PROTOCOL_1
