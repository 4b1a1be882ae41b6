"""A TCP proxy on 127.0.0.1 in front of the PostgreSQL server that can be switched to black-hole its traffic:
connections stay open and bytes are accepted, but nothing is forwarded either way (a network partition, a
hung server), until it is switched back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url


class BlackHoleProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.forwarding = asyncio.Event()
        self.forwarding.set()
        self.port = 0
        self.accepted = 0  # connections clients opened through the proxy
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    def swallow(self) -> None:
        """From now on bytes are read from both sides and dropped; sockets stay open."""
        self.forwarding.clear()

    def resume(self) -> None:
        """Forward again; what was swallowed stays lost (connections that sent meanwhile are out of step)."""
        self.forwarding.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def url(self, database_url: str) -> str:
        """`database_url` pointed at this proxy instead of the server."""
        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(False)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.close()
            return
        self._writers |= {client_writer, server_writer}
        pumps = [
            asyncio.create_task(self._pump(client_reader, server_writer)),
            asyncio.create_task(self._pump(server_reader, client_writer)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
                self._tasks.discard(pump)
            for writer in (client_writer, server_writer):
                writer.close()
                self._writers.discard(writer)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            if self.forwarding.is_set():
                writer.write(data)
                await writer.drain()


@contextlib.asynccontextmanager
async def blackhole_proxy(database_url: str) -> AsyncIterator[BlackHoleProxy]:
    target = make_url(database_url)
    proxy = BlackHoleProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
