from __future__ import annotations

import pytest

from toolkeep.gateway.hosts import HostPolicy
from toolkeep.settings import Settings


def policy(**values: object) -> HostPolicy:
    return HostPolicy(Settings(_env_file=None, **values))  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "[::1]:9000", "LOCALHOST:1"])
def test_loopback_names_are_allowed_when_the_base_url_is_loopback(host: str) -> None:
    assert policy().allows_host(host)


@pytest.mark.parametrize("host", ["evil.example.com", "", "127.0.0.1.evil.com", "mcp.test"])
def test_other_names_are_refused(host: str) -> None:
    assert not policy(base_domain="mcp.test").allows_host(host)


def test_the_base_url_host_and_subdomains_of_the_base_domain_are_allowed() -> None:
    p = policy(base_url="https://tools.example.com", base_domain="mcp.example.com")
    assert p.allows_host("tools.example.com")
    assert p.allows_host("acme.mcp.example.com:443")
    assert not p.allows_host("localhost")


def test_a_star_turns_the_check_off_and_origins_follow_hosts() -> None:
    assert policy(allowed_hosts=["*"]).allows_host("anything.example")
    p = policy()
    assert p.allows_origin("http://localhost:3000", {})
    assert not p.allows_origin("null", {})
    assert not p.allows_origin("https://evil.example.com", {})
