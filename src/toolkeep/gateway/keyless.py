"""The 401 flood's fast path: a request with no credential at all, to a server seen locked.

It answers exactly what the full path answers (same status, headers, body, traffic row) with
a handful of Python steps: one dict lookup on the path (done by the caller), one scan of the
raw header list, the prepared response with only the request id spliced in, and an O(1)
increment of the aggregated refusal count. Anything unusual (a query string, any
``Authorization`` header, a Host not seen allowed before, a stale hint) returns None and the
request takes the full path, which decides it the slow, general way.

The request body is not read, as on the full path's refusals: uvicorn's HTTP parsers go on
parsing (and discarding) an unread body after the response, so keep-alive is unaffected.
"""

from __future__ import annotations

import time
from typing import Final

from toolkeep.gateway.hints import LockedHint
from toolkeep.gateway.hosts import HostPolicy
from toolkeep.gateway.responses import new_request_id_bytes
from toolkeep.gateway.usage import UsageRecorder
from toolkeep.mcp.asgi import Message, Scope

MISSING: Final = "credentials_missing"


def keyless_refusal(
    scope: Scope, hint: LockedHint, hosts: HostPolicy, usage: UsageRecorder
) -> tuple[Message, Message] | None:
    """The two ASGI messages of the 401, or None when the full path must decide."""
    host = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            return None  # checked first: a keyed request leaves after this one scan
        if name == b"host" and host is None:
            host = value
    started = time.perf_counter()
    if scope.get("query_string") or hint.expires <= time.monotonic():
        return None
    if not hosts.allows_raw(host):
        return None  # the full path answers 421
    client = scope.get("client")
    ip = client[0] if client else None
    if not usage.refused_again(hint.server_id, ip, MISSING, None, 401):
        duration_ms = round((time.perf_counter() - started) * 1000, 3)  # new rows only
        usage.refused(hint.server_id, ip, MISSING, None, 401, duration_ms)
    return hint.refusal.messages(new_request_id_bytes())
