"""`rsc-service serve` holds a request's headers to RSC_SERVER__MAX_HEADER_BYTES while reading them: a flood
of header bytes is refused after the first few kilobytes, not parsed into memory first
(src/rsc_service/web/http_protocol.py). Against the real command, over raw sockets; the server's memory is
read from /proc."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import processes

CAP = 8192  # not the default, so the test shows the setting reaching the server
FLOOD_BYTES = 50_000_000
PIECE = b"X-Filler-Header-Name: " + b"v" * 70 + b"\r\n"  # 94 bytes, a field line of an ordinary size
GROWTH_LIMIT = 20 * 1024 * 1024  # the server's memory may grow this much while 50 MB are sent to it


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]

    def rss(self) -> int:
        """The server process's resident memory in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS in /proc status")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


@dataclass
class Flood:
    """What a flood of bytes got: all the server sent before its connection ended, whether it ended, and
    the most the server's memory grew meanwhile."""

    answer: bytes = b""
    ended: bool = False
    reset: bool = False  # ended by a reset (the server closed with our bytes unread) rather than a FIN
    sent: int = 0
    send_error: OSError | None = None
    growth: int = 0
    received: list[bytes] = field(default_factory=list)


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """`serve` twice, side by side: on httptools (the default) and with `--http h11`."""
    logs = tmp_path_factory.mktemp("header-cap")
    env = processes.env_for(database_url, RSC_SERVER__MAX_HEADER_BYTES=str(CAP))
    started: dict[str, Server] = {}
    try:
        for name, extra in (("httptools", []), ("h11", ["--http", "h11"])):
            port = processes.free_port()
            process = processes.start(
                ["serve", "--port", str(port), "--no-jobs", *extra], env, logs / f"{name}.log"
            )
            started[name] = Server(port, process)
        for server in started.values():
            processes.wait_for(f"http://127.0.0.1:{server.port}/healthz")
        yield started
    finally:
        for server in started.values():
            processes.stop(server.process)


def flood(server: Server, head: bytes, piece: bytes, *, answered_first: bool = False) -> Flood:
    """Send `head` (and with `answered_first`, wait for the first bytes of an answer), then `piece` over and
    over up to 50 MB (in 1 MB writes), reading the server's answer alongside; stop early once the
    connection ends or the server's memory grew past the limit."""
    result = Flood()
    before = server.rss()
    sock = server.connect()
    answering = threading.Event()

    def read() -> None:
        try:
            while chunk := sock.recv(65536):
                result.received.append(chunk)
                answering.set()
        except OSError:
            result.reset = True
        result.ended = True

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    megabyte = piece * (1_000_000 // len(piece))
    try:
        sock.sendall(head)
        if answered_first:
            assert answering.wait(timeout=10), "no answer to the head"
        while result.sent < FLOOD_BYTES and not result.ended:
            sock.sendall(megabyte)
            result.sent += len(megabyte)
            result.growth = max(result.growth, server.rss() - before)
            if result.growth > GROWTH_LIMIT:
                break
    except OSError as error:  # the server closed the connection; the reader's side is asserted on
        result.send_error = error
    reader.join(timeout=10)
    sock.close()
    result.growth = max(result.growth, server.rss() - before)
    result.answer = b"".join(result.received)
    return result


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def exchange(sock: socket.socket, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """One request on a kept-alive connection, its answer read to its Content-Length."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before an answer: {data!r}"
        data += chunk
    status, headers, body = parse(data)
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "connection closed within an answer"
        body += chunk
    return status, headers, body


def read_to_end(sock: socket.socket) -> bytes:
    """All the server sends until it closes the connection (a reset ends it too)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        return data
    return data


def request_counting(total: int) -> bytes:
    """A GET /healthz whose target and header fields (each `name: value` and its line end) come to `total`
    bytes."""
    target, host = b"/healthz", b"Host: a\r\n"
    padding = total - len(target) - len(host) - len(b"X-Pad: \r\n")
    return b"GET " + target + b" HTTP/1.1\r\n" + host + b"X-Pad: " + b"p" * padding + b"\r\n\r\n"


def assert_refused_431(result: Flood) -> None:
    assert result.ended, f"the connection stayed open after {result.sent} bytes"
    status, headers, body = parse(result.answer)
    assert status == 431, result.answer[:300]
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert problem["code"] == "request_headers_too_large"
    assert str(CAP) in problem["detail"]


# A chunked body up to its last chunk, its trailer section still to come; /healthz answers it 405 at once.
CHUNKED_POST = b"POST /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
HEAD_FLOODS = {
    "many fields": (b"GET /healthz HTTP/1.1\r\nHost: a\r\n", PIECE),
    "one endless field": (b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Endless: ", b"v" * 1000),
    "an endless target": (b"GET /healthz?q=", b"q" * 1000),
}


class TestHttptools:
    @pytest.mark.parametrize("flooded", HEAD_FLOODS)
    def test_a_head_over_the_cap_is_431_without_being_held(
        self, servers: dict[str, Server], flooded: str
    ) -> None:
        result = flood(servers["httptools"], *HEAD_FLOODS[flooded])

        assert result.growth < GROWTH_LIMIT, f"server memory grew {result.growth} bytes"
        assert_refused_431(result)

    @pytest.mark.parametrize("piece", [PIECE, b"v" * 1000], ids=["many fields", "one endless field"])
    def test_trailers_over_the_cap_end_the_connection(self, servers: dict[str, Server], piece: bytes) -> None:
        """A chunked body's trailer fields reach the app among the headers, so they count toward the cap.
        Here the app has answered (405) before they come, so the connection ends without another answer."""
        start = b"X-Endless: " if piece != PIECE else b""
        result = flood(servers["httptools"], CHUNKED_POST + start, piece, answered_first=True)

        assert result.growth < GROWTH_LIMIT, f"server memory grew {result.growth} bytes"
        assert result.ended, f"the connection stayed open after {result.sent} bytes"
        assert parse(result.answer)[0] == 405, result.answer[:300]

    def test_trailers_past_the_cap_end_the_connection_before_the_next_request(
        self, servers: dict[str, Server]
    ) -> None:
        """The trailers add to their request's count: one field of the cap's size puts it past the cap
        (though well short of what the bytes of a section alone are refused at)."""
        with servers["httptools"].connect() as sock:
            answered = exchange(sock, CHUNKED_POST)
            trailer = b"X-Pad: " + b"p" * (CAP - len(b"X-Pad: \r\n")) + b"\r\n"
            sock.sendall(trailer + b"\r\n" + b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            rest = read_to_end(sock)

        assert answered[0] == 405
        assert rest == b"", "the request after the trailers was answered"

    def test_kept_alive_requests_up_to_the_cap_are_served_and_one_over_is_431(
        self, servers: dict[str, Server]
    ) -> None:
        """The count is each request's own (it starts again on a kept-alive connection), takes in the
        target, and is refused one byte past the cap; up to it the app answers."""
        with servers["httptools"].connect() as sock:
            answers = [exchange(sock, request_counting(size)) for size in (CAP, 200, CAP, CAP - 1)]
            over = exchange(sock, request_counting(CAP + 1))
            after = sock.recv(65536)

        assert [status for status, _, _ in answers] == [200, 200, 200, 200]
        assert all(json.loads(body) == {"status": "ok"} for _, _, body in answers), answers
        status, headers, body = over
        assert status == 431
        assert json.loads(body)["code"] == "request_headers_too_large"
        assert headers["connection"] == "close"
        assert after == b"", "the connection stays open after a 431"


class TestH11:
    def test_a_head_over_the_cap_is_refused_without_being_held(self, servers: dict[str, Server]) -> None:
        result = flood(servers["h11"], *HEAD_FLOODS["many fields"])

        assert result.growth < GROWTH_LIMIT, f"server memory grew {result.growth} bytes"
        assert result.ended, f"the connection stayed open after {result.sent} bytes"
        assert parse(result.answer)[0] == 400, result.answer[:300]

    def test_kept_alive_requests_under_the_cap_are_served(self, servers: dict[str, Server]) -> None:
        with servers["h11"].connect() as sock:
            answers = [exchange(sock, request_counting(size)) for size in (200, CAP - 100, 200)]

        assert [status for status, _, _ in answers] == [200, 200, 200]
