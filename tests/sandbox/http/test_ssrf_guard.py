"""Requests to internal addresses are refused before any socket opens, in every spelling.

The trap listens on 127.0.0.1 and [::1]; every URL below points at its port. If the guard let
one through, the trap would record the connection; the connect spy would see it too.
"""

from __future__ import annotations

import ipaddress

import pytest

from tests.sandbox.http.conftest import (
    SECOND_LOOPBACK,
    ScriptedResolver,
    Trap,
    local_policy,
    running,
)
from tests.sandbox.http.fakes import FakeServer, api
from tests.sandbox.http.helpers import call, refused
from toolkeep.sandbox.http import HttpErrorCode, HttpPolicy

pytestmark = pytest.mark.anyio

BLOCKED_HOSTS = [
    ("127.0.0.1", "loopback"),
    ("localhost", "loopback"),
    ("LOCALHOST", "loopback"),
    ("[::1]", "loopback"),
    ("2130706433", "loopback"),
    ("0x7f000001", "loopback"),
    ("0177.0.1", "loopback"),
    ("0x7f.0.0.1", "loopback"),
    ("127.1", "loopback"),
    ("0x7f.1", "loopback"),
    ("127.0.0.1.", "loopback"),
    ("[::ffff:127.0.0.1]", "loopback"),
    ("[::ffff:7f00:1]", "loopback"),
    ("[0:0:0:0:0:ffff:127.0.0.1]", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("0", "unspecified"),
    ("[::]", "unspecified"),
    ("169.254.169.254", "cloud metadata"),
    ("[::ffff:169.254.169.254]", "cloud metadata"),
    ("169.254.1.1", "link-local"),
    ("10.0.0.1", "private"),
    ("[::ffff:10.0.0.1]", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "shared"),
    ("[fe80::1]", "link-local"),
    ("[fd00::1]", "unique-local"),
    ("[64:ff9b::7f00:1]", "loopback"),
    ("[2002:7f00:1::]", "loopback"),
    ("[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "tunnel"),
    ("[::127.0.0.1]", "tunnel"),
    ("224.0.0.1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.2.1", "documentation"),
]


@pytest.mark.parametrize(("host", "label"), BLOCKED_HOSTS)
async def test_an_internal_host_is_refused_before_any_socket_opens(
    host: str, label: str, trap: Trap, connect_spy: list[str]
) -> None:
    error = await refused(f"http://{host}:{trap.port}/admin")

    assert error.code == HttpErrorCode.ADDRESS_BLOCKED
    assert label in error.message
    assert trap.connections == []
    assert connect_spy == []


@pytest.mark.parametrize("host", ["0177.0.0.1", "010.0.0.1", "127.000.000.001", "127.0.0.256"])
async def test_a_four_part_address_with_leading_zeros_is_refused_as_an_invalid_url(
    host: str, trap: Trap, connect_spy: list[str]
) -> None:
    # httpx's URL parser rejects it (a WHATWG parser would read 0177 as octal 127).
    error = await refused(f"http://{host}:{trap.port}/")

    assert error.code == HttpErrorCode.URL_INVALID
    assert "Invalid IPv4 address" in error.message
    assert trap.connections == []
    assert connect_spy == []


async def test_a_name_resolving_to_loopback_names_the_host_but_not_the_address(
    trap: Trap, connect_spy: list[str]
) -> None:
    error = await refused(f"http://localhost:{trap.port}/")

    assert error.message.startswith("'localhost' resolves to a loopback address")
    assert "127.0.0.1" not in error.message
    assert "administrator" in error.message
    assert trap.connections == []
    assert connect_spy == []


async def test_one_internal_answer_among_public_ones_blocks_the_whole_name(
    trap: Trap, connect_spy: list[str]
) -> None:
    resolver = ScriptedResolver({"mixed.test": [["93.184.215.14", "127.0.0.1"]]})

    error = await refused(f"http://mixed.test:{trap.port}/", HttpPolicy(resolver=resolver))

    assert error.code == HttpErrorCode.ADDRESS_BLOCKED
    assert "'mixed.test' resolves to a loopback address" in error.message
    assert trap.connections == []
    assert connect_spy == []


async def test_the_allow_list_opens_exactly_its_networks(
    api_server: FakeServer, trap: Trap, connect_spy: list[str]
) -> None:
    policy = local_policy("127.0.0.1/32")

    assert (await call(api_server.url("/json"), policy)).status == 200
    error = await refused(f"http://[::1]:{trap.port}/", policy)
    error_other_loopback = await refused(f"http://127.0.0.3:{trap.port}/", policy)

    assert error.code == error_other_loopback.code == HttpErrorCode.ADDRESS_BLOCKED
    assert trap.connections == []
    assert connect_spy == ["127.0.0.1"]


async def test_an_allowed_ipv4_address_is_also_allowed_in_its_ipv4_mapped_spelling(
    api_server: FakeServer, connect_spy: list[str]
) -> None:
    response = await call(f"http://[::ffff:127.0.0.1]:{api_server.port}/json", local_policy())

    assert response.status == 200
    assert connect_spy == ["127.0.0.1"]  # the mapped address is unwrapped before connecting


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{trap}/",
        "http://localhost:{trap}/",
        "http://[::1]:{trap}/",
        "http://2130706433:{trap}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
    ],
)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_from_an_allowed_origin_to_an_internal_host_is_refused(
    target: str,
    status: int,
    second_loopback_server: FakeServer,
    trap: Trap,
    connect_spy: list[str],
) -> None:
    policy = local_policy(f"{SECOND_LOOPBACK}/32")
    location = target.format(trap=trap.port)

    error = await refused(
        second_loopback_server.url(f"/status/{status}?location={location}"), policy
    )

    assert error.code == HttpErrorCode.ADDRESS_BLOCKED
    assert "after redirect 1" in error.message
    assert len(second_loopback_server.requests) == 1
    assert trap.connections == []
    assert connect_spy == [SECOND_LOOPBACK]


async def test_the_connection_goes_to_the_address_that_was_checked_with_a_single_lookup(
    api_server: FakeServer, trap: Trap, connect_spy: list[str]
) -> None:
    # A rebinding resolver: first answer allowed, any later answer internal and not allowed.
    resolver = ScriptedResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]]})
    policy = local_policy(resolver=resolver)

    response = await call(api_server.url("/echo", host="rebind.test"), policy)

    assert response.status == 200
    assert resolver.calls == ["rebind.test"]
    assert connect_spy == ["127.0.0.1"]
    assert len(api_server.requests) == 1


async def test_every_redirect_hop_is_resolved_and_checked_again(
    api_server: FakeServer, connect_spy: list[str]
) -> None:
    resolver = ScriptedResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    policy = local_policy(resolver=resolver)

    error = await refused(api_server.url("/chain/1", host="rebind.test"), policy)

    assert error.code == HttpErrorCode.ADDRESS_BLOCKED
    assert "'rebind.test' resolves to a private address" in error.message
    assert resolver.calls == ["rebind.test", "rebind.test"]
    assert connect_spy == ["127.0.0.1"]
    assert [seen.path for seen in api_server.requests] == ["/chain/1"]


async def test_a_same_origin_redirect_opens_a_new_checked_connection_even_on_keep_alive(
    anyio_backend: str, connect_spy: list[str]
) -> None:
    resolver = ScriptedResolver({"api.test": [["127.0.0.1"]]})
    async with running(FakeServer("127.0.0.1", api, keep_alive=True)) as server:
        response = await call(
            server.url("/chain/2", host="api.test"), local_policy(resolver=resolver)
        )

    assert response.body == b"done"
    assert len(server.requests) == 3
    assert len(server.connections) == 3  # keep-alive off, redirect bodies unread: no reuse
    assert resolver.calls == ["api.test"] * 3
    assert connect_spy == ["127.0.0.1"] * 3


async def test_numeric_hosts_never_reach_the_resolver(trap: Trap) -> None:
    resolver = ScriptedResolver({})

    await refused(f"http://0x7f000001:{trap.port}/", HttpPolicy(resolver=resolver))
    await refused(f"http://[::1]:{trap.port}/", HttpPolicy(resolver=resolver))

    assert resolver.calls == []


async def test_an_invalid_numeric_host_is_an_invalid_url_not_a_dns_query() -> None:
    resolver = ScriptedResolver({})

    error = await refused("http://0x1ffffffff/", HttpPolicy(resolver=resolver))

    assert error.code == HttpErrorCode.URL_INVALID
    assert resolver.calls == []


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("file:///etc/passwd", HttpErrorCode.SCHEME_NOT_ALLOWED),
        ("gopher://127.0.0.1:70/", HttpErrorCode.SCHEME_NOT_ALLOWED),
        ("ftp://example.com/", HttpErrorCode.SCHEME_NOT_ALLOWED),
        ("ws://example.com/", HttpErrorCode.SCHEME_NOT_ALLOWED),
        ("//example.com/", HttpErrorCode.URL_INVALID),
        ("example.com/path", HttpErrorCode.URL_INVALID),
        ("http://", HttpErrorCode.URL_INVALID),
        ("", HttpErrorCode.URL_INVALID),
        ("http://user:pass@example.com/", HttpErrorCode.URL_INVALID),
        ("http://exa mple.com/", HttpErrorCode.URL_INVALID),
        ("http://example.com:0/", HttpErrorCode.URL_INVALID),
    ],
)
async def test_urls_that_are_not_plain_http_are_refused_without_a_lookup(
    url: str, code: HttpErrorCode, connect_spy: list[str]
) -> None:
    resolver = ScriptedResolver({})

    error = await refused(url, HttpPolicy(resolver=resolver))

    assert error.code == code
    assert resolver.calls == []
    assert connect_spy == []


async def test_an_allow_list_entry_for_a_v4_network_does_not_open_ipv6_hosts(
    trap: Trap, connect_spy: list[str]
) -> None:
    policy = HttpPolicy(allow_networks=[ipaddress.ip_network("0.0.0.0/0")])

    error = await refused(f"http://[fd00::1]:{trap.port}/", policy)

    assert error.code == HttpErrorCode.ADDRESS_BLOCKED
    assert connect_spy == []
