"""Which addresses a tool may reach, and turning a URL host into checked addresses.

The rule: every address a host name resolves to must be globally routable unicast, unless it
lies inside a network an administrator explicitly allowed. One blocked answer blocks the whole
name (an attacker controls the order of DNS answers). Wrappers that smuggle an IPv4 address
inside IPv6 are unwrapped and judged by what they carry: IPv4-mapped (``::ffff:a.b.c.d``) is
normalized to the IPv4 address (and that is what gets connected); NAT64 (``64:ff9b::/96``) and
6to4 (``2002::/16``) are refused when the embedded IPv4 address is refused; Teredo and
IPv4-compatible (``::a.b.c.d``) addresses are refused outright.

Numeric hosts are recognised in every spelling the C resolver accepts (``2130706433``,
``0x7f000001``, ``0177.0.0.1``, ``127.1``) without a DNS query. Whatever the spelling, the
addresses checked here are exactly the addresses the transport connects to.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

import anyio.to_thread

from toolkeep.sandbox.http.errors import HttpError, HttpErrorCode

log = logging.getLogger("toolkeep.sandbox.http")

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

# Resolves a host name (ASCII, IDNA-encoded) to addresses. May raise ``OSError`` (or
# ``HttpError``); an empty answer counts as a failed lookup. The default is the system resolver.
Resolver: TypeAlias = Callable[[str], Awaitable[Sequence[IPAddress]]]

MAX_ADDRESSES = 16  # answers beyond this are ignored (neither checked nor connected)


class AddressClass(StrEnum):
    """Why an address is refused; the value is what tool authors read."""

    UNSPECIFIED = "unspecified"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    SHARED = "shared (carrier-grade NAT)"
    LINK_LOCAL = "link-local"
    METADATA = "cloud metadata"
    MULTICAST = "multicast"
    BROADCAST = "broadcast"
    DOCUMENTATION = "documentation"
    BENCHMARKING = "benchmarking"
    UNIQUE_LOCAL = "unique-local"
    SITE_LOCAL = "site-local"
    TUNNEL = "tunnel (Teredo or IPv4-compatible)"
    RESERVED = "reserved"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A refused address: its class, and the wrapper it came in (NAT64, 6to4), if any."""

    address_class: AddressClass
    wrapper: str | None = None

    def describe(self) -> str:
        article = "an" if self.address_class is AddressClass.UNSPECIFIED else "a"
        text = f"{article} {self.address_class.value} address"
        return f"{text} (inside {self.wrapper})" if self.wrapper else text


def _nets(*specs: tuple[str, AddressClass]) -> tuple[tuple[IPNetwork, AddressClass], ...]:
    return tuple((ipaddress.ip_network(spec), cls) for spec, cls in specs)


C = AddressClass
# First match wins: specific entries (metadata) come before the ranges that contain them.
_V4_BLOCKED = _nets(
    ("0.0.0.0/8", C.UNSPECIFIED),
    ("127.0.0.0/8", C.LOOPBACK),
    ("10.0.0.0/8", C.PRIVATE),
    ("172.16.0.0/12", C.PRIVATE),
    ("192.168.0.0/16", C.PRIVATE),
    ("169.254.169.254/32", C.METADATA),  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
    ("169.254.170.2/32", C.METADATA),  # AWS ECS task metadata
    ("169.254.0.0/16", C.LINK_LOCAL),
    ("100.100.100.200/32", C.METADATA),  # Alibaba Cloud
    ("100.64.0.0/10", C.SHARED),
    ("168.63.129.16/32", C.METADATA),  # Azure WireServer: public-looking, host-local
    ("192.0.0.0/24", C.RESERVED),  # IETF protocol assignments (incl. OCI 192.0.0.192)
    ("192.0.2.0/24", C.DOCUMENTATION),
    ("198.51.100.0/24", C.DOCUMENTATION),
    ("203.0.113.0/24", C.DOCUMENTATION),
    ("198.18.0.0/15", C.BENCHMARKING),
    ("192.88.99.0/24", C.RESERVED),  # deprecated 6to4 relay anycast
    ("224.0.0.0/4", C.MULTICAST),
    ("255.255.255.255/32", C.BROADCAST),
    ("240.0.0.0/4", C.RESERVED),
)
_V6_BLOCKED = _nets(
    ("::/128", C.UNSPECIFIED),
    ("::1/128", C.LOOPBACK),
    ("::/96", C.TUNNEL),  # IPv4-compatible (deprecated)
    ("64:ff9b:1::/48", C.RESERVED),  # local-use NAT64 (RFC 8215)
    ("100::/64", C.RESERVED),  # discard-only
    ("2001::/32", C.TUNNEL),  # Teredo
    ("2001:db8::/32", C.DOCUMENTATION),
    ("3fff::/20", C.DOCUMENTATION),
    ("2001::/23", C.RESERVED),  # IETF protocol assignments (ORCHID, AMT, ...)
    ("fd00:ec2::254/128", C.METADATA),  # AWS IMDS over IPv6
    ("fc00::/7", C.UNIQUE_LOCAL),
    ("fe80::/10", C.LINK_LOCAL),
    ("fec0::/10", C.SITE_LOCAL),
    ("ff00::/8", C.MULTICAST),
)
del C
_V6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def normalize(address: IPAddress) -> IPAddress:
    """The address a socket really talks to: IPv4-mapped IPv6 becomes its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _classify_v4(address: ipaddress.IPv4Address) -> AddressClass | None:
    for network, cls in _V4_BLOCKED:
        if address in network:
            return cls
    return None if address.is_global else AddressClass.RESERVED


def classify(address: IPAddress) -> Verdict | None:
    """``None`` for a globally routable unicast address, else why it is refused."""
    address = normalize(address)
    if isinstance(address, ipaddress.IPv4Address):
        cls = _classify_v4(address)
        return Verdict(cls) if cls else None
    bare = ipaddress.IPv6Address(address.packed)  # drop a scope id for the range checks
    for network, cls in _V6_BLOCKED:
        if bare in network:
            return Verdict(cls)
    if bare in _NAT64:
        embedded = _classify_v4(ipaddress.IPv4Address(bare.packed[-4:]))
        return Verdict(embedded, "a NAT64 address") if embedded else None
    if bare in _SIX_TO_FOUR:
        embedded = _classify_v4(ipaddress.IPv4Address(bare.packed[2:6]))
        return Verdict(embedded, "a 6to4 address") if embedded else None
    if bare not in _V6_GLOBAL_UNICAST or not bare.is_global:
        return Verdict(AddressClass.RESERVED)
    return None


def is_allowed(address: IPAddress, allow_networks: Sequence[IPNetwork]) -> bool:
    """Whether an administrator allowed this address (checked before :func:`classify`)."""
    plain = normalize(address)
    bare = (
        plain if isinstance(plain, ipaddress.IPv4Address) else ipaddress.IPv6Address(plain.packed)
    )
    return any(bare.version == net.version and bare in net for net in allow_networks)


def check(address: IPAddress, allow_networks: Sequence[IPNetwork]) -> Verdict | None:
    """``None`` if a tool may connect to ``address``, else why not."""
    if is_allowed(address, allow_networks):
        return None
    return classify(address)


def parse_networks(values: Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    """Parse an admin allow-list (``"10.1.2.0/24"``, ``"fd00::/8"``, a single address)."""
    return tuple(
        value if not isinstance(value, str) else ipaddress.ip_network(value.strip(), strict=False)
        for value in values
    )


# What inet_aton(3) accepts: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x).
_NUMERIC_HOST = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]*|[0-9]+)){0,3}")


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a numeric host stands for, in any spelling; ``None`` for a host name.

    ``host`` is the URL host without brackets. A numeric-looking host that is not a valid
    address (``1.2.3.999``) is a :class:`HttpError`, never a DNS query.
    """
    candidate = host[:-1] if host.endswith(".") else host
    try:
        return ipaddress.ip_address(candidate.replace("%25", "%"))
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(candidate):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(candidate))
        except OSError:
            raise HttpError(
                HttpErrorCode.URL_INVALID, f"'{host}' is not a valid IP address"
            ) from None
    return None


async def system_resolver(host: str) -> list[IPAddress]:
    """``getaddrinfo`` in a worker thread; abandoned (not waited for) when cancelled."""
    found = await anyio.to_thread.run_sync(_getaddrinfo, host, abandon_on_cancel=True)
    return [ipaddress.ip_address(address) for address in found]


def _getaddrinfo(host: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    seen: dict[IPAddress, None] = {}
    for address in addresses:
        seen.setdefault(normalize(address), None)
    return list(seen)[:MAX_ADDRESSES]


async def resolve_checked(
    host: str, *, allow_networks: Sequence[IPNetwork], resolver: Resolver
) -> list[IPAddress]:
    """Resolve ``host`` once and return the addresses to connect to, all of them allowed.

    Raises ``HttpError`` (``address_blocked``, ``dns_failed``, ``url_invalid``). Messages name
    the host as the tool wrote it and the class of address, never a resolved internal address.
    """
    literal = parse_ip_literal(host)
    if literal is not None:
        addresses = [normalize(literal)]
    else:
        try:
            addresses = _unique(await resolver(host))
        except HttpError:
            raise
        except (OSError, UnicodeError, ValueError):
            raise HttpError(HttpErrorCode.DNS_FAILED, f"Could not resolve host '{host}'") from None
        if not addresses:
            raise HttpError(HttpErrorCode.DNS_FAILED, f"Could not resolve host '{host}'")
    for address in addresses:
        verdict = check(address, allow_networks)
        if verdict is None:
            continue
        log.info("sdk.http refused %s (%s): %s", host, address, verdict.address_class.value)
        subject = f"{host} is" if literal is not None else f"'{host}' resolves to"
        raise HttpError(
            HttpErrorCode.ADDRESS_BLOCKED,
            f"{subject} {verdict.describe()}; tools may only reach public internet addresses "
            "(an administrator can allow specific networks)",
        )
    return addresses
