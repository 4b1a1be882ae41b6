"""urls: which outbound targets are refused, and the transport that connects only to vetted addresses.

Every name here resolves through an injected resolver or a literal address: no test touches the network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable

import httpx
import pytest

from rsc_service import urls
from rsc_service.urls import Address, PinnedTransport, UnsafeUrl, check_outbound, check_outbound_async

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"

HOSTILE_URLS = [
    # loopback, in every spelling a resolver accepts
    "https://127.0.0.1/",
    "https://127.1/",
    "https://0x7f000001/",
    "https://0x7f.1/",
    "https://0177.0.0.1/",
    "https://2130706433/",
    "https://127.0.0.1./",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://localhost/",
    "https://LOCALHOST./",
    "https://api.localhost/",
    # private, shared and link-local
    "https://10.0.0.5/api",
    "https://172.16.3.4/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/",
    "https://[fd00::1]/",
    "https://[fe80::1]/",
    "https://[fe80::1%25eth0]/",
    "https://[fec0::1]/",
    # IPv4 wrapped in IPv6: 6to4, Teredo, NAT64 (well-known and local-use), IPv4-compatible
    "https://[2002:a9fe:a9fe::]/",
    "https://[2002:7f00:1::1]/",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[64:ff9b::10.0.0.1]/",
    "https://[64:ff9b:1::a9fe:a9fe]/",
    "https://[::169.254.169.254]/",
    "https://[::ffff:0:a9fe:a9fe]/",
    # multicast, unspecified, reserved, documentation
    "https://224.0.0.1/",
    "https://[ff02::1]/",
    "https://[ff0e::1]/",
    "https://0.0.0.0/",
    "https://0/",
    "https://[::]/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    "https://192.0.2.1/",
    "https://[2001:db8::1]/",
    # IETF protocol assignments, which Python 3.11 counts as global
    "https://192.0.0.8/",
    "https://192.0.0.170/",
    "https://[::ffff:192.0.0.8]/",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="non-public address"):
        check_outbound(url, allow_insecure_local=False)


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_addresses_are_refused_without_dns(url: str) -> None:
    # Literal addresses, in any spelling, and localhost names are judged without resolving anything.
    with pytest.raises(UnsafeUrl, match="non-public address"):
        check_outbound(url, allow_insecure_local=False, resolve=False)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.215.14/", "must use https"),
        ("https://user:secret@93.184.215.14/", "must not carry credentials"),
        ("https://user@93.184.215.14/", "must not carry credentials"),
        ("ftp://93.184.215.14/", "absolute http"),
        ("/relative/path", "absolute http"),
        ("https:///no-host", "absolute http"),
        ("https://1.1.1.1:99999/", "port between 1 and 65535"),
        ("https://1.1.1.1:0/", "port between 1 and 65535"),
        ("https://1.1.1.1:-1/", "port between 1 and 65535"),
    ],
)
def test_malformed_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeUrl, match=message):
        check_outbound(url, allow_insecure_local=False)


@pytest.mark.parametrize(
    ("address", "wrapped"),
    [
        ("2002:a9fe:a9fe::", "169.254.169.254"),  # 6to4
        ("2001:0:a9fe:a9fe::1", "169.254.169.254"),  # Teredo server
        ("2001:0:808:808:0:ffff:f5ff:fffe", "10.0.0.1"),  # Teredo client, stored inverted
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64
        ("64:ff9b:1::a00:1", "10.0.0.1"),  # local-use NAT64
        ("::a9fe:a9fe", "169.254.169.254"),  # IPv4-compatible
        ("::ffff:a9fe:a9fe", "169.254.169.254"),  # IPv4-mapped
    ],
)
def test_the_refusal_names_the_wrapped_address(address: str, wrapped: str) -> None:
    with pytest.raises(UnsafeUrl) as caught:
        check_outbound(f"https://[{address}]/", allow_insecure_local=False)

    assert f"{address} wraps {wrapped}" in str(caught.value)
    assert "private" in str(caught.value)  # the admin API's 422 detail relies on the wording


@pytest.mark.parametrize(
    "url",
    [
        f"https://{PUBLIC_V4}/api/v1",
        f"https://[{PUBLIC_V6}]:8443/",
        "https://[2001:4860:4860::8888]/",
        "https://[::ffff:8.8.8.8]/",
        "https://[64:ff9b::8.8.8.8]/",  # DNS64 spelling of a public IPv4 host
        "https://[2002:808:808::1]/",  # 6to4 around a public IPv4 address
    ],
)
def test_public_addresses_are_accepted(url: str) -> None:
    assert check_outbound(url, allow_insecure_local=False) == url


def test_insecure_local_allows_http_and_loopback_but_never_credentials() -> None:
    assert check_outbound("http://127.0.0.1:8000/", allow_insecure_local=True) == "http://127.0.0.1:8000/"
    with pytest.raises(UnsafeUrl, match="credentials"):
        check_outbound("http://u:p@127.0.0.1/", allow_insecure_local=True)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2606:4700::1111", True),
        ("::ffff:1.1.1.1", True),
        ("64:ff9b::1.1.1.1", True),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("169.254.169.254", False),
        ("::ffff:169.254.169.254", False),
        ("2002:a9fe:a9fe::", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("2001:0:a9fe:a9fe::1", False),  # Teredo whose server is the metadata address
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b:1::808:808", False),  # local-use NAT64 never leaves one operator's network
        ("::169.254.169.254", False),
        ("::8.8.8.8", False),  # deprecated IPv4-compatible form, refused even around a public address
        ("ff05::2", False),
        ("239.255.255.250", False),
        ("192.0.0.8", False),  # IETF protocol assignments...
        ("192.0.0.9", True),  # ...but for the two anycast services IANA lists as global
        ("192.0.0.10", True),
        ("192.88.99.1", False),  # the deprecated 6to4 relay anycast
        ("3fff::1", False),  # IPv6 documentation (RFC 9637)
        ("5f00::1", False),  # SRv6 SIDs
        ("2002:c058:6301::", False),  # 6to4 around the relay anycast
    ],
)
def test_address_table(address: str, expected: bool) -> None:
    parsed = ipaddress.ip_address(address)
    if expected:
        urls.check_address(parsed)
    else:
        with pytest.raises(UnsafeUrl):
            urls.check_address(parsed)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.01", "127.0.0.1"),
        ("10.0x10.1", "10.16.0.1"),
        ("0x", "0.0.0.0"),
        ("::1", "::1"),
        ("ats.example", None),
        ("1.2.3.4.5", None),
        ("256.1.1.1", None),
        ("0x1g", None),
        ("08.1.1.1", None),
    ],
)
def test_literal_addresses_in_legacy_spellings(host: str, expected: str | None) -> None:
    address = urls.literal_address(host)
    assert (str(address) if address is not None else None) == expected


# --- resolving off the loop ------------------------------------------------------------------------


def _resolver(table: dict[str, list[str]]) -> tuple[urls.Resolver, list[str]]:
    asked: list[str] = []

    async def resolve(host: str) -> list[Address]:
        asked.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in table[host]]

    return resolve, asked


async def test_the_async_check_resolves_through_the_resolver() -> None:
    resolve, asked = _resolver({"ats.example": [PUBLIC_V4], "evil.example": [PUBLIC_V4, "10.1.2.3"]})

    good = await check_outbound_async("https://ats.example/", allow_insecure_local=False, resolver=resolve)
    with pytest.raises(UnsafeUrl, match=r"non-public address \(10\.1\.2\.3\)"):
        await check_outbound_async("https://evil.example/", allow_insecure_local=False, resolver=resolve)
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        await check_outbound_async("https://nowhere.example/", allow_insecure_local=False, resolver=resolve)

    assert good == "https://ats.example/"
    assert asked == ["ats.example", "evil.example", "nowhere.example"]


async def test_the_default_resolver_awaits_the_loops_getaddrinfo(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    answered = asyncio.Event()
    ticks: list[int] = []

    def blocking(*args: object, **kwargs: object) -> None:
        raise AssertionError("socket.getaddrinfo would block the event loop")

    async def loop_getaddrinfo(host: str, port: object, **kwargs: object) -> list[tuple[object, ...]]:
        await answered.wait()  # only a loop that keeps running can let the ticker release us
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC_V4, 0))]

    async def ticker() -> None:
        ticks.append(1)
        answered.set()

    monkeypatch.setattr(socket, "getaddrinfo", blocking)
    monkeypatch.setattr(loop, "getaddrinfo", loop_getaddrinfo)
    resolving = asyncio.create_task(urls.resolve_host("ats.example"))
    await asyncio.wait_for(asyncio.gather(resolving, ticker()), timeout=5)

    assert resolving.result() == [ipaddress.ip_address(PUBLIC_V4)]
    assert ticks == [1]
    assert await check_outbound_async("https://ats.example/", allow_insecure_local=False)


# --- the pinned transport --------------------------------------------------------------------------


class Recorder(httpx.AsyncBaseTransport):
    def __init__(self, fail: Callable[[httpx.Request], bool] = lambda _: False) -> None:
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []
        self.fail = fail
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(await request.aread())
        if self.fail(request):
            raise httpx.ConnectError("unreachable", request=request)
        return httpx.Response(200, json={"ok": True})

    async def aclose(self) -> None:
        self.closed = True


async def test_connects_to_the_vetted_address_with_the_name_as_host_and_sni() -> None:
    table = {"ats.example": [PUBLIC_V4]}
    resolve, asked = _resolver(table)
    inner = Recorder()

    async with httpx.AsyncClient(
        transport=PinnedTransport(inner, allow_insecure_local=False, resolver=resolve)
    ) as http:
        response = await http.post("https://ats.example:8443/api/v1/notes?x=1", json={"a": 1})
        table["ats.example"] = ["10.0.0.7"]  # the name now rebinds to an internal address
        with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.7"):
            await http.get("https://ats.example:8443/api/v1/notes")

    assert response.status_code == 200
    assert response.request.url.host == "ats.example"  # the caller's view is unchanged
    (sent,) = inner.requests  # the rebound request never reached a connection
    assert sent.url == httpx.URL(f"https://{PUBLIC_V4}:8443/api/v1/notes?x=1")
    assert sent.headers["host"] == "ats.example:8443"
    assert sent.extensions["sni_hostname"] == "ats.example"
    assert inner.bodies == [b'{"a":1}']
    assert asked == ["ats.example", "ats.example"]  # one lookup a request, and it is the one vetted


async def test_the_inner_transport_never_resolves_the_name_again() -> None:
    # Whatever the name resolves to after vetting, the connection is made to the IP that was vetted.
    answers = iter([[PUBLIC_V4], ["127.0.0.1"]])

    async def rebinding(host: str) -> list[Address]:
        return [ipaddress.ip_address(a) for a in next(answers)]

    inner = Recorder()
    async with httpx.AsyncClient(
        transport=PinnedTransport(inner, allow_insecure_local=False, resolver=rebinding)
    ) as http:
        await http.get("https://ats.example/")

    assert inner.requests[0].url.host == PUBLIC_V4
    assert next(answers) == ["127.0.0.1"]  # the later answer was never asked for


async def test_a_name_resolving_to_any_private_address_is_refused_at_request_time() -> None:
    resolve, _ = _resolver({"mixed.example": [PUBLIC_V4, "169.254.169.254"], "six.example": ["::1"]})
    inner = Recorder()

    async with httpx.AsyncClient(
        transport=PinnedTransport(inner, allow_insecure_local=False, resolver=resolve)
    ) as http:
        for url in ("https://mixed.example/", "https://six.example/", "https://localhost/", "https://127.1/"):
            with pytest.raises(UnsafeUrl, match="non-public address"):
                await http.get(url)
        with pytest.raises(UnsafeUrl, match="must use https"):
            await http.get("http://mixed.example/")
        with pytest.raises(httpx.ConnectError, match="does not resolve"):
            await http.get("https://unknown.example/")

    assert inner.requests == []


async def test_a_refusal_at_request_time_is_a_failed_connection_to_the_caller() -> None:
    # An HTTP client's caller maps transport errors (the ATS client to AtsUnavailable); a bare ValueError
    # would escape it as a bug.
    resolve, _ = _resolver({"rebound.example": ["10.0.0.7"]})
    inner = Recorder()

    async with httpx.AsyncClient(
        transport=PinnedTransport(inner, allow_insecure_local=False, resolver=resolve)
    ) as http:
        for url in ("https://rebound.example/", "https://127.1/", "https://localhost/", "http://x.example/"):
            with pytest.raises(httpx.ConnectError) as refused:
                await http.get(url)
            assert isinstance(refused.value, urls.RefusedAddress)
            assert isinstance(refused.value, UnsafeUrl)
            assert refused.value.request.url == httpx.URL(url)

    assert inner.requests == []


async def test_ipv6_and_mapped_addresses_are_dialled_as_such() -> None:
    resolve, _ = _resolver({"v6.example": [PUBLIC_V6], "mapped.example": ["::ffff:8.8.8.8"]})
    inner = Recorder()

    async with httpx.AsyncClient(
        transport=PinnedTransport(inner, allow_insecure_local=False, resolver=resolve)
    ) as http:
        await http.get("https://v6.example/")
        await http.get("https://mapped.example/")

    v6, mapped = inner.requests
    assert v6.url.host == PUBLIC_V6
    assert v6.extensions["sni_hostname"] == "v6.example"
    assert mapped.url.host == "8.8.8.8"


async def test_a_literal_address_is_dialled_without_sni_or_dns() -> None:
    resolve, asked = _resolver({})
    inner = Recorder()

    async with httpx.AsyncClient(
        transport=PinnedTransport(inner, allow_insecure_local=False, resolver=resolve)
    ) as http:
        await http.get(f"https://{PUBLIC_V4}/x")

    (sent,) = inner.requests
    assert sent.url.host == PUBLIC_V4
    assert "sni_hostname" not in sent.extensions
    assert asked == []


async def test_falls_back_to_the_next_vetted_address_when_one_is_unreachable() -> None:
    resolve, _ = _resolver({"ats.example": [PUBLIC_V6, PUBLIC_V4]})
    inner = Recorder(fail=lambda request: request.url.host == PUBLIC_V6)

    async with httpx.AsyncClient(
        transport=PinnedTransport(inner, allow_insecure_local=False, resolver=resolve)
    ) as http:
        response = await http.get("https://ats.example/")

    assert response.status_code == 200
    assert [r.url.host for r in inner.requests] == [PUBLIC_V6, PUBLIC_V4]


async def test_names_sharing_an_address_never_share_a_connection_pool() -> None:
    # httpx pools by origin, which pinning turns into the IP; a TLS session verified for one name must
    # not carry another name's requests (and bearer token).
    resolve, _ = _resolver({"a.example": [PUBLIC_V4], "b.example": [PUBLIC_V4]})
    pools: list[Recorder] = []

    def new_pool() -> httpx.AsyncBaseTransport:
        pools.append(Recorder())
        return pools[-1]

    transport = PinnedTransport(new_pool, allow_insecure_local=False, resolver=resolve)
    async with httpx.AsyncClient(transport=transport) as http:
        await http.get("https://a.example/1")
        await http.get("https://b.example/1")
        await http.get("https://a.example/2")

    assert [[r.url.path for r in pool.requests] for pool in pools] == [["/1", "/2"], ["/1"]]
    assert [pool.requests[0].extensions["sni_hostname"] for pool in pools] == ["a.example", "b.example"]
    assert all(pool.closed for pool in pools)


async def test_insecure_local_passes_requests_through() -> None:
    resolve, asked = _resolver({})
    inner = Recorder()

    async with httpx.AsyncClient(
        transport=PinnedTransport(inner, allow_insecure_local=True, resolver=resolve)
    ) as http:
        await http.get("http://localhost:8000/api")

    (sent,) = inner.requests
    assert sent.url == httpx.URL("http://localhost:8000/api")
    assert "sni_hostname" not in sent.extensions
    assert asked == []


async def test_ats_http_client_is_pinned_without_redirects_and_with_the_timeout() -> None:
    http = urls.ats_http_client(timeout=4.5, max_connections=3, allow_insecure_local=False)
    async with http:
        assert http.follow_redirects is False
        assert http.timeout == httpx.Timeout(4.5)
        with pytest.raises(UnsafeUrl):
            await http.get("https://169.254.169.254/latest/meta-data/")
