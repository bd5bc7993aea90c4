"""The parent's side of host calls: a worker asks, the parent performs ``sdk.http`` requests
and ``sdk.db`` statements.

The worker is not trusted here either: batches are capped, each kind has its own cap per
tool call (the glue's, counted again here), each request is checked before it becomes an
``HttpRequest`` or a ``DbRequest``, and every answer is bounded by the call's deadline (a
request still running then is answered with a timeout error, so the worker can report the
timeout itself, console lines included, instead of being killed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Final

import anyio

from toolkeep.sandbox.db import HOST_CALL_KIND as DB
from toolkeep.sandbox.db import DbErrorCode, DbPolicy, db_outcome
from toolkeep.sandbox.glue import MAX_DB_CALLS, MAX_HTTP_BATCH, MAX_HTTP_CALLS
from toolkeep.sandbox.http import HttpError, HttpErrorCode, HttpPolicy, HttpRequest, perform
from toolkeep.sandbox.pool.protocol import ProtocolError

log = logging.getLogger("toolkeep.sandbox.pool")

Outcome = dict[str, Any]
TIMED_OUT: Final[Outcome] = {
    "error": {"code": "timeout", "message": "the tool ran out of time waiting for this request"}
}
HTTP: Final = "http"
CAPS: Final = {HTTP: MAX_HTTP_CALLS, DB: MAX_DB_CALLS}


def _error(code: str, message: str) -> Outcome:
    return {"error": {"code": code, "message": message}}


def _too_many(kind: str) -> Outcome:
    if kind == DB:
        return _error(
            DbErrorCode.TOO_MANY_QUERIES.value, f"at most {MAX_DB_CALLS} queries per tool call"
        )
    return _error("too_many_requests", f"at most {MAX_HTTP_CALLS} requests per tool call")


def _unexpected(kind: str) -> Outcome:
    if kind == DB:
        return _error(DbErrorCode.QUERY_FAILED.value, "The database call failed unexpectedly")
    return _error(HttpErrorCode.REQUEST_FAILED.value, "The request failed unexpectedly")


class HostCallHandler:
    """Answers the host requests of one tool call."""

    def __init__(self, http_policy: HttpPolicy, db_policy: DbPolicy, deadline: float) -> None:
        self.http_policy = http_policy
        self.db_policy = db_policy
        self.deadline = deadline
        self.counts = dict.fromkeys(CAPS, 0)

    async def answer(self, message: Mapping[str, Any]) -> list[Outcome]:
        requests = message.get("requests")
        if not isinstance(requests, list) or not 0 < len(requests) <= MAX_HTTP_BATCH:
            raise ProtocolError("a host message without a valid batch of requests")
        outcomes = [TIMED_OUT] * len(requests)

        async def one(index: int, request: Any) -> None:
            outcomes[index] = await self._one(request)

        with anyio.move_on_after(self.deadline - time.monotonic()):
            async with anyio.create_task_group() as group:
                for index, request in enumerate(requests):
                    group.start_soon(one, index, request)
        return outcomes

    async def _one(self, request: Any) -> Outcome:
        kind = request.get("kind") if isinstance(request, dict) else None
        if not isinstance(kind, str) or kind not in CAPS:
            return _error("unsupported", "this host call is not supported")
        self.counts[kind] += 1
        if self.counts[kind] > CAPS[kind]:
            return _too_many(kind)
        try:
            if kind == DB:
                return await db_outcome(request.get("payload"), self.db_policy)
            return await http_outcome(request.get("payload"), self.http_policy)
        except Exception:  # both answer every failure themselves; anything else is our bug
            log.exception("a host call failed unexpectedly")
            return _unexpected(kind)


async def http_outcome(payload: Any, policy: HttpPolicy) -> Outcome:
    try:
        response = await perform(_request(payload), policy)
    except HttpError as exc:
        return {"error": exc.to_dict()}
    return {
        "ok": {
            "status": response.status,
            "headers": [[name, value] for name, value in response.headers],
            "body": response.body.decode("utf-8", "replace"),
            "url": response.url,
        }
    }


def _request(payload: Any) -> HttpRequest:
    if not isinstance(payload, dict):
        raise HttpError(HttpErrorCode.REQUEST_INVALID, "The request must be an object")
    method, url, headers, body = (payload.get(k) for k in ("method", "url", "headers", "body"))
    if not isinstance(method, str) or not isinstance(url, str):
        raise HttpError(HttpErrorCode.REQUEST_INVALID, "method and url must be strings")
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise HttpError(HttpErrorCode.REQUEST_INVALID, "headers must be an object of strings")
    if not (body is None or isinstance(body, str)):
        raise HttpError(HttpErrorCode.REQUEST_INVALID, "body must be a string")
    return HttpRequest(method=method, url=url, headers=headers, body=body)
