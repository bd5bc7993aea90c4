"""Calling ``perform`` in tests, always under an outer bound."""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import pytest

from toolkeep.sandbox.http import HttpError, HttpPolicy, HttpRequest, HttpResponse, perform

OUTER_BOUND_S = 15.0


async def call(
    url: str,
    policy: HttpPolicy | None = None,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: str | bytes | None = None,
) -> HttpResponse:
    with anyio.fail_after(OUTER_BOUND_S):
        return await perform(
            HttpRequest(method, url, dict(headers or {}), body), policy or HttpPolicy()
        )


async def refused(
    url: str,
    policy: HttpPolicy | None = None,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: str | bytes | None = None,
) -> HttpError:
    with pytest.raises(HttpError) as caught:
        await call(url, policy, method=method, headers=headers, body=body)
    return caught.value
