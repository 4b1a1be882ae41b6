"""URL length limits (414) and Rest.li query tunnelling (`X-HTTP-Method-Override`), as ASGI middleware."""

from __future__ import annotations

import email.parser
import email.policy
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import SimConfig
from .errors import RestliError


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _split_multipart(content_type: str, body: bytes) -> tuple[bytes, bytes, str]:
    """The query part and the entity part of a `multipart/mixed` tunnelled request."""
    document = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    parts = list(document.iter_parts()) if document.is_multipart() else []
    if not parts:
        raise RestliError(400, "A multipart/mixed tunnelled request needs a query part")
    query = parts[0].get_payload(decode=True) or b""
    entity = parts[1].get_payload(decode=True) if len(parts) > 1 else b""
    entity_type = parts[1].get_content_type() if len(parts) > 1 else "application/json"
    return bytes(query).strip(), bytes(entity or b""), entity_type


class TunnelMiddleware:
    """Answers 414 for URLs over the limit and unwraps tunnelled requests into the method they carry."""

    def __init__(self, app: ASGIApp, config: SimConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        raw_path = (scope.get("raw_path") or scope["path"].encode()).split(b"?", 1)[0]
        query: bytes = scope.get("query_string", b"")
        url_bytes = len(raw_path) + (len(query) + 1 if query else 0)
        if url_bytes > self.config.max_url_bytes or (
            self.config.max_query_bytes is not None and len(query) > self.config.max_query_bytes
        ):
            await RestliError(414, "Request-URI Too Long").response()(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        override = headers.get("x-http-method-override")
        if scope["method"] != "POST" or not override:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        content_type = headers.get("content-type", "")
        try:
            if content_type.startswith("multipart/mixed"):
                tunnelled_query, entity, entity_type = _split_multipart(content_type, body)
            elif content_type.startswith("application/x-www-form-urlencoded"):
                tunnelled_query, entity, entity_type = body.strip(), b"", ""
            else:
                raise RestliError(400, "A tunnelled request must be form-encoded or multipart/mixed")
        except RestliError as exc:
            await exc.response()(scope, receive, send)
            return
        combined = b"&".join(q for q in (query, tunnelled_query) if q)
        new_headers: list[tuple[bytes, bytes]] = [
            (k, v)
            for k, v in scope.get("headers", [])
            if k.lower() not in (b"content-type", b"content-length", b"x-http-method-override")
        ]
        if entity:
            new_headers += [
                (b"content-type", entity_type.encode()),
                (b"content-length", str(len(entity)).encode()),
            ]
        inner: dict[str, Any] = dict(scope) | {
            "method": override.upper(),
            "query_string": combined,
            "headers": new_headers,
        }
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": entity, "more_body": False}
            return await receive()

        await self.app(inner, replay, send)
