"""The URLs a server is reachable at."""

from __future__ import annotations

from urllib.parse import urlsplit

from toolkeep.settings import Settings


def endpoint_urls(settings: Settings, subdomain: str, unlisted_secret: str | None) -> list[str]:
    suffix = f"/{unlisted_secret}" if unlisted_secret else ""
    urls = [f"{settings.base_url}/s/{subdomain}/mcp{suffix}"]
    if settings.base_domain:
        scheme = urlsplit(settings.base_url).scheme or "http"
        urls.append(f"{scheme}://{subdomain}.{settings.base_domain}/mcp{suffix}")
    return urls
