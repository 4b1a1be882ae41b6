"""Checks on URLs that tenants configure (ATS base, callbacks), and the transport that keeps them honest.

A configured URL must be https and every address its host resolves to must be publicly routable
(docs/architecture.md#16-security). Addresses that carry an IPv4 address inside IPv6 (IPv4-mapped and
-compatible, 6to4, Teredo, NAT64) are judged by the IPv4 address they reach as well, since that is where
the packets end up.

Vetting a name once and letting the HTTP client resolve it again at connect time leaves a window for DNS
rebinding, so `PinnedTransport` resolves, vets and connects to the vetted address in one step.

`RSC_ALLOW_INSECURE_LOCAL=true` relaxes all of this, for the demo and tests.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeAlias
from urllib.parse import SplitResult, urlsplit

import httpx

Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver: TypeAlias = Callable[[str], Awaitable[list[Address]]]
"""Resolves a host name to its addresses without blocking the event loop; raises OSError if it cannot."""

NON_PUBLIC = "must not point at a private, loopback, link-local or otherwise non-public address"

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix: globally routable
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: inside one operator's network only
_LOCAL_NAMES = ("localhost", ".localhost")  # RFC 6761: always loopback, whatever DNS says
# IANA's IETF protocol assignments: not globally reachable but for two anycast services, though Python 3.11's
# is_global counts all but 192.0.0.0/29 of it as global.
_PROTOCOL_ASSIGNMENTS = ipaddress.IPv4Network("192.0.0.0/24")
_ANYCAST_SERVICES = frozenset(map(ipaddress.IPv4Address, ("192.0.0.9", "192.0.0.10")))
# Not globally reachable per IANA's special-purpose registries, though Python 3.11's is_global says they are:
# the deprecated 6to4 relay anycast (RFC 7526), the IPv6 documentation prefix of RFC 9637 and SRv6 SIDs
# (RFC 9602).
_NOT_GLOBAL = (
    ipaddress.IPv4Network("192.88.99.0/24"),
    ipaddress.IPv6Network("3fff::/20"),
    ipaddress.IPv6Network("5f00::/16"),
)


class UnsafeUrl(ValueError):
    """The URL may not be used as an outbound target; the message says why."""


class RefusedAddress(UnsafeUrl, httpx.ConnectError):
    """`PinnedTransport` refused to connect: the request's host is not (or no longer) public. It is also
    an httpx.ConnectError, so an HTTP client sees a connection that failed, as for a host that is down; its
    message names the address, which is for logs, not for callers."""

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        httpx.ConnectError.__init__(self, message, request=request)


# --- addresses ---------------------------------------------------------------------------------------


def check_address(address: Address) -> None:
    """Raise UnsafeUrl unless `address`, and every IPv4 address it wraps, is publicly routable."""
    reason = _refusal(address)
    if reason is not None:
        raise UnsafeUrl(f"{NON_PUBLIC} ({reason})")


def _refusal(address: Address) -> str | None:
    if any(address in network for network in _NOT_GLOBAL):
        return f"{address} is not globally reachable"
    if isinstance(address, ipaddress.IPv4Address):
        # is_global alone lets multicast through on Python 3.11.
        assigned = address in _PROTOCOL_ASSIGNMENTS and address not in _ANYCAST_SERVICES
        return None if address.is_global and not address.is_multicast and not assigned else str(address)
    if address.scope_id:
        return f"{address} is scoped to one link"
    carrier = _carried_ipv4(address)
    if carrier is not None:
        # The IPv6 form is only a spelling of the IPv4 destination; judge that destination alone.
        return None if _refusal(carrier) is None else f"{address} wraps {carrier}"
    for inner in _tunnelled_ipv4(address):
        if _refusal(inner) is not None:
            return f"{address} wraps {inner}"
    if address in _NAT64_LOCAL:
        return f"{address} is a local-use NAT64 address"
    public = (
        address.is_global
        and not address.is_multicast  # is_global admits ff00::/8 on Python 3.11
        and not address.is_reserved  # ::/8 holds the deprecated IPv4-compatible forms
        and not address.is_site_local
    )
    return None if public else str(address)


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 destination of an address that is an IPv4 address in IPv6 notation (mapped, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return _low32(address)
    return None


def _tunnelled_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address hands traffic to: 6to4, Teredo, local NAT64 and IPv4-compatible."""
    wrapped: list[ipaddress.IPv4Address] = []
    if address.sixtofour is not None:
        wrapped.append(address.sixtofour)
    if address.teredo is not None:
        wrapped.extend(address.teredo)  # (server, client); both are contacted
    if address in _NAT64_LOCAL or (address in _COMPATIBLE and int(address) > 1):
        wrapped.append(_low32(address))  # :: and ::1 are not IPv4-compatible forms
    return wrapped


def _low32(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def literal_address(host: str) -> Address | None:
    """The address `host` spells, in any form a resolver accepts as numeric (127.1, 0x7f000001, ...)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return _legacy_ipv4(host)


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    # inet_aton (and so getaddrinfo) reads 1 to 4 dotted parts in decimal, octal or hex; the last part
    # fills the remaining bytes. Reading them here keeps such hosts from ever reaching DNS.
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_legacy_part(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    *head, last = [number for number in numbers if number is not None]
    if any(number > 0xFF for number in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    value = last
    for index, number in enumerate(head):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _legacy_part(part: str) -> int | None:
    text, base = part.lower(), 10
    if text.startswith("0x"):
        text, base = text[2:], 16
        if not text:
            return 0
    elif len(text) > 1 and text.startswith("0"):
        text, base = text[1:], 8
    if not text or any(char not in "0123456789abcdef"[:base] for char in text):
        return None
    return int(text, base)


def _is_local_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == _LOCAL_NAMES[0] or name.endswith(_LOCAL_NAMES[1])


# --- resolving -----------------------------------------------------------------------------------------


async def resolve_host(host: str) -> list[Address]:
    """The host's TCP addresses, resolved in the loop's executor so the event loop never blocks on DNS."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, None, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_ADDRCONFIG
    )
    return _unique(ipaddress.ip_address(info[4][0]) for info in infos)


def _resolve_blocking(host: str) -> list[Address]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return _unique(ipaddress.ip_address(info[4][0]) for info in infos)


def _unique(addresses: Iterable[Address]) -> list[Address]:
    return list(dict.fromkeys(addresses))


# --- URLs ----------------------------------------------------------------------------------------------


def _shape(url: str, *, allow_insecure_local: bool) -> SplitResult | None:
    """The URL's parts if its host still needs vetting; None if insecure local targets are allowed."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise UnsafeUrl("must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise UnsafeUrl("must not carry credentials")
    try:
        parts.port  # noqa: B018 — reading it checks it: a port outside 0-65535 raises
    except ValueError:
        raise UnsafeUrl("must have a port between 1 and 65535") from None
    if parts.port == 0:
        raise UnsafeUrl("must have a port between 1 and 65535")
    if allow_insecure_local:
        return None
    if parts.scheme != "https":
        raise UnsafeUrl("must use https")
    return parts


def _vet_host_without_dns(host: str) -> Address | None:
    """Vets what can be vetted without DNS; the literal address, if the host is one."""
    if _is_local_name(host):
        raise UnsafeUrl(f"{NON_PUBLIC} ({host})")
    address = literal_address(host)
    if address is not None:
        check_address(address)
    return address


def _vet_resolved(host: str, addresses: list[Address]) -> list[Address]:
    if not addresses:
        raise UnsafeUrl(f"host {host!r} does not resolve")
    for address in addresses:  # any one of them may be the one a later connection picks
        check_address(address)
    return addresses


def check_outbound(url: str, *, allow_insecure_local: bool, resolve: bool = True) -> str:
    """`url` if it may be called: http(s) without credentials; unless `allow_insecure_local`, https and
    public addresses only. Resolves with blocking DNS: prefer `check_outbound_async` on the event loop."""
    parts = _shape(url, allow_insecure_local=allow_insecure_local)
    if parts is None:
        return url
    host = parts.hostname or ""
    if _vet_host_without_dns(host) is None and resolve:
        try:
            addresses = _resolve_blocking(host)
        except OSError:
            raise UnsafeUrl(f"host {host!r} does not resolve") from None
        _vet_resolved(host, addresses)
    return url


async def check_outbound_async(
    url: str, *, allow_insecure_local: bool, resolve: bool = True, resolver: Resolver = resolve_host
) -> str:
    """`check_outbound`, resolving through `resolver` (by default off the event loop)."""
    parts = _shape(url, allow_insecure_local=allow_insecure_local)
    if parts is None:
        return url
    host = parts.hostname or ""
    if _vet_host_without_dns(host) is None and resolve:
        try:
            addresses = await resolver(host)
        except OSError:
            raise UnsafeUrl(f"host {host!r} does not resolve") from None
        _vet_resolved(host, addresses)
    return url


# --- the pinned transport ------------------------------------------------------------------------------


class PinnedTransport(httpx.AsyncBaseTransport):
    """Resolves each request's host, vets every address, and connects to a vetted one.

    The request goes to the IP with the original `Host` header and the original name as TLS SNI
    (`sni_hostname`), so the certificate is still checked against the name. httpx never sees the name,
    so it cannot resolve it a second time to somewhere else.

    `inner` is where the pinned request goes:
    - None: one `httpx.AsyncHTTPTransport` per host name;
    - a callable: called once per host name for that name's transport;
    - a transport: used for every host (tests, or a single host).
    httpx pools connections by URL origin, which is now the IP; names sharing an IP must not share a
    pool, or a request for one name could travel on a TLS session verified for another.

    With `allow_insecure_local` requests pass through unchanged (the demo and tests call loopback).
    Refusals raise RefusedAddress, an UnsafeUrl that is also an httpx.ConnectError; a name that does not
    resolve, or a vetted address that refuses the connection after every other one did too, raises
    httpx.ConnectError. Either way the caller sees a connection that failed, not a bug.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | Callable[[], httpx.AsyncBaseTransport] | None = None,
        *,
        allow_insecure_local: bool,
        resolver: Resolver = resolve_host,
    ) -> None:
        self._shared: httpx.AsyncBaseTransport | None = None
        self._new_pool: Callable[[], httpx.AsyncBaseTransport] = httpx.AsyncHTTPTransport
        if isinstance(inner, httpx.AsyncBaseTransport):
            self._shared = inner
        elif inner is not None:
            self._new_pool = inner
        self._pools: dict[str, httpx.AsyncBaseTransport] = {}
        self._allow_insecure_local = allow_insecure_local
        self._resolver = resolver

    def _pool(self, host: str) -> httpx.AsyncBaseTransport:
        if self._shared is not None:
            return self._shared
        pool = self._pools.get(host)
        if pool is None:
            pool = self._pools[host] = self._new_pool()
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.raw_host.decode("ascii")
        if self._allow_insecure_local:
            return await self._pool(host).handle_async_request(request)
        try:
            _shape(str(request.url), allow_insecure_local=False)
            literal = _vet_host_without_dns(host)
        except UnsafeUrl as refused:
            raise RefusedAddress(str(refused), request=request) from None
        if literal is not None:
            return await self._pool(host).handle_async_request(_pinned(request, literal, sni=None))
        try:
            addresses = await self._resolver(host)
        except OSError as exc:
            raise httpx.ConnectError(f"host {host!r} does not resolve: {exc}", request=request) from exc
        try:
            _vet_resolved(host, addresses)
        except UnsafeUrl as refused:
            raise RefusedAddress(str(refused), request=request) from None
        return await self._connect_any(request, host, addresses)

    async def _connect_any(
        self, request: httpx.Request, host: str, addresses: list[Address]
    ) -> httpx.Response:
        # httpx would try each address of a name in turn; pinning must not lose that, or a host with an
        # unreachable IPv6 address would fail where an unpinned client succeeds.
        pool = self._pool(host)
        for address in addresses[:-1]:
            try:
                return await pool.handle_async_request(_pinned(request, address, sni=host))
            except httpx.ConnectError:
                continue
        return await pool.handle_async_request(_pinned(request, addresses[-1], sni=host))

    async def aclose(self) -> None:
        pools = [self._shared] if self._shared is not None else list(self._pools.values())
        self._pools.clear()
        for pool in pools:
            await pool.aclose()


def _pinned(request: httpx.Request, address: Address, *, sni: str | None) -> httpx.Request:
    """A copy of `request` addressed to `address`; headers (Host included) and body are unchanged."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    extensions = dict(request.extensions)
    if sni is not None and request.url.scheme == "https":
        extensions["sni_hostname"] = sni
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        headers=request.headers,
        stream=request.stream,
        extensions=extensions,
    )


def ats_http_client(*, timeout: float, max_connections: int, allow_insecure_local: bool) -> httpx.AsyncClient:
    """The HTTP client for tenants' ATS APIs: pinned to vetted addresses, no redirects, `timeout` seconds
    per request phase, at most `max_connections` connections to each ATS host."""
    limits = httpx.Limits(max_connections=max_connections)

    def pool() -> httpx.AsyncBaseTransport:
        return httpx.AsyncHTTPTransport(limits=limits)

    # Redirects stay off: a redirect could lead anywhere, past every check above.
    return httpx.AsyncClient(
        transport=PinnedTransport(pool, allow_insecure_local=allow_insecure_local),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
    )
