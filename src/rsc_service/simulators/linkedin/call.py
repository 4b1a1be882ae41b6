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
from .restli import PROTOCOL_2, Query
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


def effective_method(http_method: str, header: str | None, query: Query, has_path_key: bool) -> str:
    """The Rest.li method, from X-RestLi-Method (any case) or inferred from the verb and `ids`."""
    header = (header or "").strip().lower()
    has_ids = any(n == "ids" or n.startswith("ids[") for n, _ in query.pairs)
    if http_method == "GET":
        if header in ("batch_get", "get_all", "finder", "get"):
            return header
        return "finder" if query.get("q") else "batch_get" if has_ids else "get"
    if http_method == "PUT":
        return header or ("batch_update" if has_ids else "update")
    if http_method == "DELETE":
        return header or ("batch_delete" if has_ids else "delete")
    if http_method == "POST":
        if header:
            return header
        if has_ids:
            raise RestliError(400, "POST with ids requires the X-RestLi-Method header")
        return "partial_update" if has_path_key else "create"
    raise RestliError(405, f"Method {http_method} is not supported")


class RouteTable:
    """Raw path shapes (`*` matches one raw segment, keys included) mapped to handlers."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, tuple[str, ...], Handler]] = []

    def add(self, family: str, shape: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append((family, tuple(shape.split("/")), handler))
            return handler

        return register

    def find(self, family: str, segments: list[str]) -> Handler | None:
        for fam, shape, handler in self.routes:
            if fam != family or len(shape) != len(segments):
                continue
            if all(p == "*" or p == unquote(s) for p, s in zip(shape, segments, strict=True)):
                return handler
        return None


routes = RouteTable()


def protocol_of(headers: dict[str, str], versioned: bool) -> str:
    version = headers.get("x-restli-protocol-version", "").strip()
    return PROTOCOL_2 if versioned or version.startswith("2") else "1.0.0"
