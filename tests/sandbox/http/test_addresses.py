"""Which addresses are public unicast, how numeric hosts are read, and the allow-list."""

from __future__ import annotations

import ipaddress

import pytest

from toolkeep.sandbox.http import AddressClass, HttpError, HttpErrorCode, classify, parse_networks
from toolkeep.sandbox.http.addresses import check, parse_ip_literal

A = AddressClass


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("0.0.0.0", A.UNSPECIFIED),
        ("0.1.2.3", A.UNSPECIFIED),
        ("127.0.0.1", A.LOOPBACK),
        ("127.255.255.254", A.LOOPBACK),
        ("10.1.2.3", A.PRIVATE),
        ("172.16.0.1", A.PRIVATE),
        ("172.31.255.255", A.PRIVATE),
        ("192.168.0.1", A.PRIVATE),
        ("100.64.0.1", A.SHARED),
        ("100.127.255.255", A.SHARED),
        ("100.100.100.200", A.METADATA),
        ("169.254.169.254", A.METADATA),
        ("169.254.170.2", A.METADATA),
        ("168.63.129.16", A.METADATA),
        ("169.254.0.1", A.LINK_LOCAL),
        ("192.0.0.192", A.RESERVED),
        ("192.0.2.10", A.DOCUMENTATION),
        ("198.51.100.1", A.DOCUMENTATION),
        ("203.0.113.7", A.DOCUMENTATION),
        ("198.18.0.1", A.BENCHMARKING),
        ("192.88.99.1", A.RESERVED),
        ("224.0.0.251", A.MULTICAST),
        ("239.255.255.250", A.MULTICAST),
        ("240.0.0.1", A.RESERVED),
        ("255.255.255.255", A.BROADCAST),
        ("::", A.UNSPECIFIED),
        ("::1", A.LOOPBACK),
        ("::ffff:127.0.0.1", A.LOOPBACK),
        ("::ffff:10.0.0.1", A.PRIVATE),
        ("::ffff:169.254.169.254", A.METADATA),
        ("::127.0.0.1", A.TUNNEL),
        ("::8.8.8.8", A.TUNNEL),
        ("64:ff9b::127.0.0.1", A.LOOPBACK),
        ("64:ff9b::a9fe:a9fe", A.METADATA),
        ("64:ff9b:1::1", A.RESERVED),
        ("2002:7f00:0001::1", A.LOOPBACK),
        ("2002:0a00:0001::", A.PRIVATE),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", A.TUNNEL),
        ("2001:db8::1", A.DOCUMENTATION),
        ("3fff::1", A.DOCUMENTATION),
        ("2001:10::1", A.RESERVED),
        ("100::1", A.RESERVED),
        ("fc00::1", A.UNIQUE_LOCAL),
        ("fd12:3456::1", A.UNIQUE_LOCAL),
        ("fd00:ec2::254", A.METADATA),
        ("fe80::1", A.LINK_LOCAL),
        ("fe80::1%eth0", A.LINK_LOCAL),
        ("fec0::1", A.SITE_LOCAL),
        ("ff02::1", A.MULTICAST),
        ("5f00::1", A.RESERVED),
        ("4000::1", A.RESERVED),
    ],
)
def test_an_internal_or_special_address_is_classified(address: str, expected: A) -> None:
    verdict = classify(ipaddress.ip_address(address))

    assert verdict is not None
    assert verdict.address_class is expected


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "172.32.0.1",
        "100.128.0.1",
        "192.0.3.1",
        "::ffff:8.8.8.8",
        "2606:4700:4700::1111",
        "2a00:1450:4001:80b::200e",
        "64:ff9b::8.8.8.8",
        "2002:0808:0808::1",
    ],
)
def test_a_public_unicast_address_is_allowed(address: str) -> None:
    assert classify(ipaddress.ip_address(address)) is None


def test_a_wrapped_address_says_what_wraps_it() -> None:
    verdict = classify(ipaddress.ip_address("64:ff9b::7f00:1"))

    assert verdict is not None
    assert verdict.describe() == "a loopback address (inside a NAT64 address)"


def test_the_allow_list_overrides_the_class_only_inside_its_networks() -> None:
    allowed = parse_networks(["10.1.2.0/24", "fd00::/8"])

    assert check(ipaddress.ip_address("10.1.2.3"), allowed) is None
    assert check(ipaddress.ip_address("::ffff:10.1.2.3"), allowed) is None
    assert check(ipaddress.ip_address("fd00::5"), allowed) is None
    assert check(ipaddress.ip_address("10.1.3.1"), allowed) is not None
    assert check(ipaddress.ip_address("127.0.0.1"), allowed) is not None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("127.0.0.1.", "127.0.0.1"),
        ("::1", "::1"),
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
        ("fe80::1%25eth0", "fe80::1%eth0"),
    ],
)
def test_a_numeric_host_is_read_as_the_c_resolver_reads_it(host: str, address: str) -> None:
    assert parse_ip_literal(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "localhost", "1e100.net", "0x.example", "a.0"])
def test_a_host_name_is_not_a_literal(host: str) -> None:
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize("host", ["0x1ffffffff", "4294967296", "1.2.3.4096", "09"])
def test_a_numeric_host_out_of_range_is_an_invalid_url(host: str) -> None:
    with pytest.raises(HttpError) as caught:
        parse_ip_literal(host)

    assert caught.value.code == HttpErrorCode.URL_INVALID
