from __future__ import annotations

from toolkeep.servers.endpoints import endpoint_urls
from toolkeep.settings import Settings


def test_only_the_path_form_exists_without_a_base_domain() -> None:
    settings = Settings(base_url="https://mcp.example.com/", _env_file=None)
    assert endpoint_urls(settings, "acme", None) == ["https://mcp.example.com/s/acme/mcp"]


def test_the_subdomain_form_is_added_with_a_base_domain_and_keeps_the_secret() -> None:
    settings = Settings(
        base_url="https://mcp.example.com",
        base_domain=".Tools.Example.com.",
        _env_file=None,
    )
    assert endpoint_urls(settings, "acme", "s3cret") == [
        "https://mcp.example.com/s/acme/mcp/s3cret",
        "https://acme.tools.example.com/mcp/s3cret",
    ]
