"""Sends one Rest.li call for one application: URL building, tunnelling, throttle, auth, error mapping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from rsc_service.integrations.linkedin import batch, errors, restli
from rsc_service.integrations.linkedin.batch import BatchResult
from rsc_service.integrations.linkedin.throttle import Throttle
from rsc_service.integrations.linkedin.wire import Page
from rsc_service.integrations.refusals import refused_fields

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
M = TypeVar("M", bound=BaseModel)

# An unanswered, broken or garbled exchange in httpx terms; PoolTimeout is a TimeoutException.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, httpx.DecodingError)
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # from the API root: /v2/... or /rest/...
    group: str
    query: restli.Query = field(default_factory=list)
    body: Mapping[str, Any] | None = None
    restli_method: str | None = None
    records: int = 1

    @property
    def versioned(self) -> bool:
        return self.path.startswith("/rest/")


@dataclass(frozen=True)
class Settings:
    api_url: str  # the API root, without /v2 or /rest
    url_limit: int
    linkedin_version: str
    clock: Callable[[], datetime]
    boundary: Callable[[], str]
    max_response_bytes: int


class Transport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        settings: Settings,
        auth: httpx.Auth,
        throttle: Throttle,
        in_flight: asyncio.Semaphore,
    ) -> None:
        self._http = http
        self._settings = settings
        self._auth = auth
        self._throttle = throttle
        self._in_flight = in_flight

    async def send(self, call: Call) -> httpx.Response:
        request = self._build(call)
        await self._throttle.acquire(call.group, call.records)
        try:
            async with self._in_flight:
                streamed = await self._http.send(request, auth=self._auth, stream=True)
                try:
                    response = await _read_capped(streamed, self._settings.max_response_bytes)
                finally:
                    await streamed.aclose()
        except _TRANSIENT as exc:
            raise errors.Retriable(f"{type(exc).__name__} calling {call.path}: {exc}") from exc
        if response.is_success:
            return response
        error = errors.error_from_response(response, now=self._settings.clock())
        if isinstance(error, errors.Throttled):
            await self._throttle.note_retry_after(
                call.group, error.retry_after, daily_limit=error.daily_limit
            )
        raise error

    def _build(self, call: Call) -> httpx.Request:
        url = f"{self._settings.api_url}{call.path}"
        query = restli.query_string(call.query)
        headers = self._headers(call)
        content = json.dumps(call.body, ensure_ascii=False).encode() if call.body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        method = call.method
        if query and restli.exceeds(f"{url}?{query}", self._settings.url_limit, query=query):
            tunnelled = restli.tunnel(method, query, body=content, boundary=self._settings.boundary())
            method, content = tunnelled.method, tunnelled.content
            headers.update(tunnelled.headers)
        elif query:
            url = f"{url}?{query}"
        return self._http.build_request(method, url, content=content, headers=headers)

    def _headers(self, call: Call) -> dict[str, str]:
        headers: dict[str, str] = {}
        if call.restli_method is not None:
            headers["X-RestLi-Method"] = call.restli_method
        if call.versioned:
            headers["X-Restli-Protocol-Version"] = restli.Protocol.V2.value
            headers["LinkedIn-Version"] = self._settings.linkedin_version
        return headers

    async def json(self, call: Call) -> Any:
        return decode_json(await self.send(call), call.path)

    async def batch_write(
        self,
        method: str,
        path: str,
        entities: Sequence[tuple[restli.Key, K, Mapping[str, Any] | None]],
        *,
        restli_method: str | None,
        group: str,
    ) -> BatchResult[K, int]:
        """batch_update (PUT), batch_partial_update (POST) or batch_delete (DELETE, no body)."""
        batch.check_size(entities)
        batch.check_unique([key for _, key, _ in entities])
        if not entities:
            return BatchResult()
        encoded = [encoded for encoded, _, _ in entities]
        body = None
        if method != "DELETE":
            body = {"entities": {restli.body_key(key): entity or {} for key, _, entity in entities}}
        call = Call(
            method, path, group, restli.batch_ids(encoded), body, restli_method, records=len(entities)
        )
        return batch.read_statuses(await self.json(call), [(encoded, key) for encoded, key, _ in entities])

    async def batch_get(
        self, path: str, keys: Sequence[tuple[restli.Key, K]], parse: Callable[[object], V], *, group: str
    ) -> BatchResult[K, V]:
        batch.check_size(keys)
        batch.check_unique([key for _, key in keys])
        if not keys:
            return BatchResult()
        call = Call("GET", path, group, restli.batch_ids([encoded for encoded, _ in keys]), records=len(keys))
        return batch.read_entities(await self.json(call), keys, parse)

    async def finder(self, path: str, query: restli.Query, model: type[M], *, group: str) -> Page[M]:
        body = await self.json(Call("GET", path, group, query))
        return read_model(Page[model], body or {}, path)  # type: ignore[valid-type]


async def _read_capped(response: httpx.Response, limit: int) -> httpx.Response:
    """The response with its body read, refusing bodies over `limit` bytes before they fill memory."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise errors.Retriable(f"answer larger than {limit} bytes", status=response.status_code)
    # The body is decoded already, so the rebuilt response must not claim an encoding.
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    return httpx.Response(
        response.status_code, headers=headers, content=bytes(body), request=response.request
    )


def decode_json(response: httpx.Response, path: str) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise errors.Retriable(f"unreadable answer from {path}: {exc}", status=response.status_code) from exc


def read_model(model: type[M], body: object, path: str) -> M:
    # A malformed 2xx is LinkedIn's (or a proxy's) hiccup, not a verdict on what we sent.
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise errors.Retriable(f"unreadable answer from {path}: {refused_fields(exc)}") from None
