"""The HTTP/1.1 protocol `serve` runs: uvicorn's httptools protocol, holding a request's headers to
RSC_SERVER__MAX_HEADER_BYTES while the parser reads them, so headers over the cap are refused before they
are in memory (docs/architecture.md#16-security).

Counted: the request target, and each header field as `name: value` with its line end (what
RequestLimitsMiddleware counts, plus the target). The fields of a chunked body's trailer section count too,
as the protocol hands them to the app among the headers. httptools keeps a field whose line has not ended
out of the count's sight, so the bytes of a header section are also counted as they arrive: once the reads
that fell wholly inside one section come to twice the cap, the request is refused as well.

Over the cap, a request whose head is being read is answered 431 (problem+json) and its connection closed.
Where that answer cannot come in order (an earlier request on the connection still being answered, or the
trailers of a request already with the app), the connection is closed without one.
"""

from __future__ import annotations

from typing import ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from rsc_service import errors

# How far the bytes of one header section may run past the cap before they alone refuse it: room for what
# the count leaves out (the method, the version, the spacing around values), which a real client never
# makes as large as the cap itself.
SECTION_BYTES_FACTOR = 2


class HeadersTooLarge(Exception):
    """Raised from a parser callback once the count passes the cap; it ends that feed of the parser."""


class HeaderCappedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a cap on the headers; `header_capped` makes one for a given cap."""

    header_cap: ClassVar[int]
    answer: ClassVar[bytes]  # the 431 after the status line and the server's own headers

    # Per request: the count (target and fields); whether its head is still being read.
    counted = 0
    in_head = False
    # Per header section (the head, or a trailer section): whether one is open, whether it opened during
    # the current read, and the bytes of the reads that fell wholly inside it.
    section_open = False
    section_opened = False
    section_bytes = 0

    def data_received(self, data: bytes) -> None:
        """HttpToolsProtocol.data_received, with the cap: passed in a callback (the count), or by the bytes
        of a header section that was open before this read and still is after it."""
        carried = self.section_open
        self.section_opened = False
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, HeadersTooLarge):
                self.refuse()
            else:
                self.invalid_request()
            return
        except httptools.HttpParserError:
            self.invalid_request()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self.section_open and carried and not self.section_opened and not self.transport.is_closing():
            self.section_bytes += len(data)
            if self.section_bytes > SECTION_BYTES_FACTOR * self.header_cap:
                self.refuse()

    def invalid_request(self) -> None:
        message = "Invalid HTTP request received."
        self.logger.warning(message)
        self.send_400_response(message)

    def refuse(self) -> None:
        self.logger.warning("Request headers over %d bytes refused.", self.header_cap)
        cycle = self.cycle
        answering = cycle is not None and not cycle.response_complete
        if self.in_head and not answering:
            content = [STATUS_LINE[431]]
            for name, value in self.server_state.default_headers:
                content.extend([name, b": ", value, b"\r\n"])
            content.append(self.answer)
            self.transport.write(b"".join(content))
        elif answering:
            # Its app sees the connection gone (as on a lost connection) rather than writing after the close.
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()

    def open_section(self) -> None:
        self.section_open = self.section_opened = True
        self.section_bytes = 0

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.counted = 0
        self.in_head = True
        self.open_section()

    def on_url(self, url: bytes) -> None:
        self.counted += len(url)
        if self.counted > self.header_cap:
            raise HeadersTooLarge
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.counted += len(name) + len(value) + 4
        if self.counted > self.header_cap:
            raise HeadersTooLarge
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.in_head = self.section_open = False
        super().on_headers_complete()

    def on_chunk_header(self) -> None:
        # Every chunk's size line ends here; the last chunk's (size 0) opens the trailer section, and any
        # other's section closes again at its first data.
        self.open_section()

    def on_body(self, body: bytes) -> None:
        self.section_open = False
        super().on_body(body)

    def on_chunk_complete(self) -> None:
        self.section_open = False


def header_capped(max_header_bytes: int) -> type[HeaderCappedProtocol]:
    """The protocol class for uvicorn's `http`, refusing headers over `max_header_bytes`."""
    problem = errors.problem_response(
        status=431,
        code=errors.HTTP_CODES[431],
        detail=f"request target and headers over {max_header_bytes} bytes",
        instance=None,
        headers={"Connection": "close"},
    )
    head = b"".join(name + b": " + value + b"\r\n" for name, value in problem.raw_headers)

    class Capped(HeaderCappedProtocol):
        header_cap = max_header_bytes
        answer = head + b"\r\n" + bytes(problem.body)

    return Capped
