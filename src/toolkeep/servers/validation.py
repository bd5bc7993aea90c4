"""Rules for server names, subdomains and descriptions."""

from __future__ import annotations

import re

from toolkeep.servers.errors import InvalidServerField

SUBDOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]")
RESERVED_SUBDOMAINS = frozenset(
    {
        "admin",
        "api",
        "app",
        "assets",
        "auth",
        "blog",
        "cdn",
        "dashboard",
        "dev",
        "docs",
        "ftp",
        "help",
        "login",
        "mail",
        "mcp",
        "oauth",
        "root",
        "smtp",
        "sso",
        "static",
        "status",
        "support",
        "toolkeep",
        "www",
        "well-known",
    }
)
MAX_NAME = 100
MAX_DESCRIPTION = 2000


def check_subdomain(subdomain: str) -> str:
    if not SUBDOMAIN_RE.fullmatch(subdomain) or "--" in subdomain:
        raise InvalidServerField(
            "A subdomain is 3-40 characters of lowercase letters, digits and single "
            "hyphens, starting and ending with a letter or digit.",
            field="subdomain",
        )
    if subdomain in RESERVED_SUBDOMAINS:
        raise InvalidServerField(f"The subdomain '{subdomain}' is reserved.", field="subdomain")
    return subdomain


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidServerField(f"A name is 1-{MAX_NAME} characters.", field="name")
    if any(ord(c) < 32 for c in name):
        raise InvalidServerField("A name cannot contain control characters.", field="name")
    return name


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise InvalidServerField(
            f"A description is at most {MAX_DESCRIPTION} characters.", field="description"
        )
    return description
