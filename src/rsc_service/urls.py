"""Checks on URLs that tenants configure (ATS base, callbacks): https, and no private or loopback targets.

`RSC_ALLOW_INSECURE_LOCAL=true` relaxes both, for the demo and tests (docs/architecture.md#16-security).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeUrl(ValueError):
    """The URL may not be used as an outbound target; the message says why."""


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        raise UnsafeUrl(f"host {host!r} does not resolve") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_outbound(url: str, *, allow_insecure_local: bool, resolve: bool = True) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise UnsafeUrl("must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise UnsafeUrl("must not carry credentials")
    if allow_insecure_local:
        return url
    if parts.scheme != "https":
        raise UnsafeUrl("must use https")
    if resolve and any(_private(address) for address in _addresses(parts.hostname)):
        raise UnsafeUrl("must not point at a private, loopback or link-local address")
    return url
