"""``McpEndpoint``: the Streamable HTTP MCP endpoint of one hosted server, as raw ASGI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final, NoReturn

from toolkeep.mcp import legacy, modern
from toolkeep.mcp.asgi import (
    BodyTooLarge,
    ClientDisconnected,
    Message,
    Receive,
    Scope,
    Send,
    read_body,
)
from toolkeep.mcp.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MODERN_ERROR_STATUS,
    McpProtocolError,
    invalid_request,
)
from toolkeep.mcp.framing import (
    Headers,
    json_messages,
    send_empty,
    send_json,
    send_sse_message,
    sse_messages,
)
from toolkeep.mcp.headers import (
    RequestHeaders,
    accepts,
    as_text,
    is_json_content_type,
    origin_matches_host,
)
from toolkeep.mcp.jsonrpc import Incoming, Kind, RequestId, dumps, error_body, parse_message
from toolkeep.mcp.lifecycle import (
    LEGACY_METHODS,
    MODERN_METHODS,
    InitializeRequest,
    initialize_result,
)
from toolkeep.mcp.methods import Call, Handler, Result
from toolkeep.mcp.ports import Exchange, RequestContext, SessionStore, ToolSource
from toolkeep.mcp.stamps import stamp_modern
from toolkeep.mcp.streams import EventStreams
from toolkeep.mcp.versions import MODERN_VERSIONS

logger = logging.getLogger(__name__)

CTX_KEY: Final = "toolkeep.ctx"
EXCHANGE_KEY: Final = "toolkeep.exchange"
DEFAULT_MAX_BODY: Final = 4 * 1024 * 1024

OriginPolicy = Callable[[str, Scope], bool]


class _NotAllowed(McpProtocolError):
    """405 with an ``Allow`` header."""

    def __init__(self, allow: bytes, message: str) -> None:
        super().__init__(405, INVALID_REQUEST, message)
        self.allow = allow


class McpEndpoint:
    """Streamable HTTP, dual-era (2025 ``initialize``/sessions and 2026-07-28 stateless).

    Reads the RequestContext from ``scope["toolkeep.ctx"]`` and leaves the filled
    Exchange in ``scope["toolkeep.exchange"]``.
    """

    def __init__(
        self,
        tools: ToolSource,
        sessions: SessionStore,
        *,
        server_version: str,
        allowed_origins: OriginPolicy | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        sse_keepalive: float = 15.0,
        sse_max_age: float = 600.0,
    ) -> None:
        self._tools = tools
        self._sessions = sessions
        self._version = server_version
        self._allowed_origins = allowed_origins
        self._max_body = max_body_bytes
        self._media_ok: dict[tuple[bytes | None, bytes | None], bool] = {}  # -> SSE only
        self.streams = EventStreams(sse_keepalive, sse_max_age)

    def close(self) -> None:
        """End open GET streams (call on shutdown, from the event loop)."""
        self.streams.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self._other_scope(scope, receive, send)
            return
        exchange = Exchange()
        scope[EXCHANGE_KEY] = exchange
        headers = RequestHeaders(scope["headers"])
        try:
            stream_session = await self._route(scope, headers, receive, send, exchange)
        except McpProtocolError as err:
            extra = [(b"allow", err.allow)] if isinstance(err, _NotAllowed) else []
            await _send_error(send, exchange, err, None, False, extra)
            return
        except Exception:
            logger.exception("MCP %s request failed", scope["method"])
            exchange.status = 500
            internal = McpProtocolError(500, INTERNAL_ERROR, "Internal error")
            await _send_error(send, exchange, internal, None, False, [])
            return
        if stream_session is not None:
            await self.streams.serve(receive, send, stream_session)

    async def _route(
        self,
        scope: Scope,
        headers: RequestHeaders,
        receive: Receive,
        send: Send,
        exchange: Exchange,
    ) -> str | None:
        """Serve POST and DELETE; for a GET, return the session whose stream to open."""
        ctx = scope.get(CTX_KEY)
        if not isinstance(ctx, RequestContext):
            ctx = self._no_context()
        if headers.origin is not None:
            self._check_origin(headers.origin, headers, scope)
        method = scope["method"]
        if method == "POST":
            await self._post(ctx, headers, receive, send, exchange)
        elif method == "GET":
            return await self._get(ctx, headers, exchange)
        elif method == "DELETE":
            await self._delete(ctx, headers, send, exchange)
        else:
            raise _NotAllowed(b"GET, POST, DELETE", f"HTTP method {method} is not supported")
        return None

    async def _other_scope(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            raise RuntimeError(f"McpEndpoint cannot serve ASGI scope type {scope['type']!r}")
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    def _no_context() -> NoReturn:
        logger.error("McpEndpoint called without a RequestContext in scope[%r]", CTX_KEY)
        raise McpProtocolError(500, INTERNAL_ERROR, "Internal error")

    def _check_origin(self, raw: bytes, headers: RequestHeaders, scope: Scope) -> None:
        origin = raw.decode("latin-1").strip()
        if self._allowed_origins is not None:
            allowed = self._allowed_origins(origin, scope)
        else:
            allowed = origin_matches_host(origin, as_text(headers.host))
        if not allowed:
            raise McpProtocolError(403, INVALID_REQUEST, "Forbidden: Origin not allowed")

    def _check_post_headers(self, headers: RequestHeaders) -> bool:
        """Accept, Content-Type and Content-Length checks; returns True for SSE-only clients."""
        media = (headers.accept, headers.content_type)
        sse_only = self._media_ok.get(media)
        if sse_only is None:
            sse_only = self._check_media(headers)
            if len(self._media_ok) < 256:  # the few header spellings clients send, remembered
                self._media_ok[media] = sse_only
        length = headers.content_length
        if length is not None and length.isdigit() and int(length) > self._max_body:
            raise self._too_large()
        return sse_only

    @staticmethod
    def _check_media(headers: RequestHeaders) -> bool:
        json_ok, sse_ok = accepts(headers.accept)
        if not (json_ok or sse_ok):
            raise McpProtocolError(
                406,
                INVALID_REQUEST,
                "Not Acceptable: Accept must include application/json or text/event-stream",
            )
        if not is_json_content_type(headers.content_type):
            raise McpProtocolError(
                415,
                INVALID_REQUEST,
                "Unsupported Media Type: Content-Type must be application/json",
            )
        return not json_ok

    def _too_large(self) -> McpProtocolError:
        return McpProtocolError(
            413, INVALID_REQUEST, f"Request body too large (limit {self._max_body} bytes)"
        )

    async def _post(
        self,
        ctx: RequestContext,
        headers: RequestHeaders,
        receive: Receive,
        send: Send,
        exchange: Exchange,
    ) -> None:
        sse_only = self._check_post_headers(headers)
        try:
            body = await read_body(receive, self._max_body)
        except BodyTooLarge:
            raise self._too_large() from None
        except ClientDisconnected:
            exchange.status = 499
            return
        msg = parse_message(body)
        method = msg.method
        exchange.method = method if method is None or len(method) <= 200 else _clip(method)
        era_modern = modern.is_modern(msg, headers)
        try:
            if era_modern:
                await self._modern(ctx, msg, headers, send, exchange, sse_only)
            else:
                await self._legacy(ctx, msg, headers, send, exchange, sse_only)
        except McpProtocolError as err:
            await _send_error(send, exchange, err, msg.id, era_modern, [], sse_only)
        except Exception:
            logger.exception("MCP request %r failed", _clip(msg.method))
            exchange.status = 500
            internal = McpProtocolError(None, INTERNAL_ERROR, "Internal error")
            await _send_error(send, exchange, internal, msg.id, era_modern, [], sse_only)

    async def _legacy(
        self,
        ctx: RequestContext,
        msg: Incoming,
        headers: RequestHeaders,
        send: Send,
        exchange: Exchange,
        sse_only: bool,
    ) -> None:
        if msg.kind is not Kind.REQUEST:
            if headers.session_id is not None:
                legacy.check_version_header(headers)
                await self._use_session(ctx, headers, exchange)
            exchange.status = 202
            await send_empty(send, 202)
            return
        if msg.method == "initialize":
            await self._initialize(ctx, msg, send, exchange, sse_only)
            return
        legacy.check_version_header(headers)
        await self._use_session(ctx, headers, exchange)
        call = Call(ctx, msg.params, exchange, self._tools, self._version, False)
        result = await _handler(LEGACY_METHODS, msg)(call)
        start, body = _result_messages(msg.id, result, sse_only)
        await send(start)
        await send(body)

    async def _use_session(
        self, ctx: RequestContext, headers: RequestHeaders, exchange: Exchange
    ) -> None:
        session = await legacy.resolve_session(self._sessions, ctx, headers.session_id)
        exchange.session_id = session.id
        exchange.client_name = session.client_name
        exchange.client_version = session.client_version

    async def _initialize(
        self, ctx: RequestContext, msg: Incoming, send: Send, exchange: Exchange, sse_only: bool
    ) -> None:
        init = InitializeRequest(msg.params)
        exchange.client_name = init.client_name
        exchange.client_version = init.client_version
        session = await self._sessions.create(
            ctx, init.protocol_version, init.client_name, init.client_version
        )
        exchange.session_id = session.id
        call = Call(ctx, msg.params, exchange, self._tools, self._version, False)
        result = initialize_result(call, init.protocol_version)
        extra = [(b"mcp-session-id", session.id.encode("ascii"))]
        start, body = _result_messages(msg.id, result, sse_only, extra)
        await send(start)
        await send(body)

    async def _modern(
        self,
        ctx: RequestContext,
        msg: Incoming,
        headers: RequestHeaders,
        send: Send,
        exchange: Exchange,
        sse_only: bool,
    ) -> None:
        if msg.kind is Kind.RESPONSE:
            raise invalid_request("2026-07-28 clients must not POST JSON-RPC responses")
        if msg.kind is Kind.NOTIFICATION:
            modern.check_notification(headers)
            exchange.status = 202
            await send_empty(send, 202)
            return
        exchange.client_name, exchange.client_version = modern.check_envelope(msg, headers)
        call = Call(ctx, msg.params, exchange, self._tools, self._version, True)
        result = await _handler(MODERN_METHODS, msg)(call)
        if type(result) is dict:  # a pre-rendered result (orjson.Fragment) is stamped already
            result = stamp_modern(msg.method or "", result, call)
        start, body = _result_messages(msg.id, result, sse_only)
        await send(start)
        await send(body)

    async def _get(self, ctx: RequestContext, headers: RequestHeaders, exchange: Exchange) -> str:
        _session_or_405(headers, "GET")
        accept = headers.accept
        if accept is None or b"text/event-stream" not in accept.lower():
            raise _NotAllowed(b"POST, DELETE", "GET needs Accept: text/event-stream")
        legacy.check_version_header(headers)
        await self._use_session(ctx, headers, exchange)
        if self.streams.closed:
            raise McpProtocolError(503, INTERNAL_ERROR, "Server is shutting down")
        return exchange.session_id or ""

    async def _delete(
        self, ctx: RequestContext, headers: RequestHeaders, send: Send, exchange: Exchange
    ) -> None:
        _session_or_405(headers, "DELETE")
        legacy.check_version_header(headers)
        await self._use_session(ctx, headers, exchange)
        await self._sessions.end(exchange.session_id or "")
        self.streams.end_session(exchange.session_id or "")
        exchange.status = 204
        await send_empty(send, 204)


def _clip(text: str | None) -> str | None:
    """Client-chosen names, bounded before they reach logs and messages."""
    return text if text is None or len(text) <= 200 else text[:200] + "..."


def _session_or_405(headers: RequestHeaders, method: str) -> None:
    """GET/DELETE without a session: 405 (2026-07-28 header, or a GET) else 400."""
    if headers.session_id is not None:
        return
    if as_text(headers.protocol_version) in MODERN_VERSIONS:
        raise _NotAllowed(b"POST", f"{method} is not supported in protocol version 2026-07-28")
    if method == "GET":
        raise _NotAllowed(b"POST, DELETE", "GET needs an Mcp-Session-Id header")
    raise invalid_request(legacy.MISSING_SESSION)


def _handler(table: dict[str, Handler], msg: Incoming) -> Handler:
    handler = table.get(msg.method or "")
    if handler is None:
        raise McpProtocolError(None, METHOD_NOT_FOUND, f"Method not found: {_clip(msg.method)}")
    return handler


def _result_messages(
    msg_id: RequestId | None, result: Result, sse_only: bool, extra: Headers | None = None
) -> tuple[Message, Message]:
    body = dumps({"jsonrpc": "2.0", "id": msg_id, "result": result})
    return sse_messages(body, extra or []) if sse_only else json_messages(200, body, extra or [])


async def _send_error(
    send: Send,
    exchange: Exchange,
    err: McpProtocolError,
    msg_id: RequestId | None,
    era_modern: bool,
    extra: Headers,
    sse_only: bool = False,
) -> None:
    status = err.http_status
    if status is None:
        status = MODERN_ERROR_STATUS.get(err.code, 200) if era_modern else 200
    if err.request_id is not None:
        msg_id = err.request_id
    exchange.error_code = err.code
    if exchange.status == 200:
        exchange.status = status
    body = error_body(msg_id, err.code, err.message, err.data)
    if status == 200 and sse_only:
        await send_sse_message(send, body, extra)
    else:
        await send_json(send, status, body, extra)
