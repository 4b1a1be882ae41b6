"""A minimal LinkedIn for the drain benchmark: answers a token request and candidate batch PUTs at once.

Unlike the simulator it checks, stores and logs nothing, so a drain against it costs the sender's side
almost alone. It counts the records it confirmed and notes when it answered the last one:
GET /_mock/stats gives {"records", "requests", "last_at" (epoch ms)}.
`python -m bench.mock_linkedin PORT` serves it.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

TOKEN = json.dumps({"access_token": "mock-token", "expires_in": 1800}).encode()


def entity_keys(content_type: str, body: bytes) -> list[str]:
    """The keys of a batch body's `entities`, whether the request was tunnelled (multipart) or not."""
    parts = [body]
    if content_type.startswith("multipart/"):
        boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
        parts = [part.split(b"\r\n\r\n", 1)[-1] for part in body.split(b"--" + boundary)]
    for part in parts:
        try:
            document = json.loads(part)
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("entities"), dict):
            return list(document["entities"])
    return []


class MockLinkedIn:
    def __init__(self) -> None:
        self.records = 0
        self.requests = 0
        self.last_at = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                kind = (await receive())["type"]
                await send({"type": f"{kind}.complete"})
                if kind == "lifespan.shutdown":
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path: str = scope["path"]
        if path.endswith("/accessToken"):
            await self._answer(send, 200, TOKEN)
        elif path == "/_mock/stats":
            stats = {"records": self.records, "requests": self.requests, "last_at": self.last_at}
            await self._answer(send, 200, json.dumps(stats).encode())
        elif path.startswith("/v2/atsCandidates") and scope["method"] in {"PUT", "POST"}:
            headers = dict(scope["headers"])
            keys = entity_keys(headers.get(b"content-type", b"").decode(), body)
            answer = {"results": {key: {"status": 204} for key in keys}, "errors": {}}
            self.records += len(keys)
            self.requests += 1
            self.last_at = int(time.time() * 1000)
            await self._answer(send, 200, json.dumps(answer).encode())
        else:
            await self._answer(send, 404, b'{"status": 404, "message": "not in the mock"}')

    @staticmethod
    async def _answer(send: Send, status: int, body: bytes) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    uvicorn.run(
        MockLinkedIn(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
