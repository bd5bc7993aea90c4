"""The MCP edge of one process: authenticate, hand over to the engine, record usage."""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from datetime import datetime

from toolkeep.clock import Clock
from toolkeep.crypto.peppers import Peppers
from toolkeep.crypto.sealing import Sealer
from toolkeep.crypto.tokens import Token
from toolkeep.errors import ConfigurationError, Unavailable
from toolkeep.gateway import responses
from toolkeep.gateway.credentials import Problem, extract, strip_authorization
from toolkeep.gateway.hints import LockedServers
from toolkeep.gateway.housekeeping import SessionPruner
from toolkeep.gateway.metering import MeteredRunner
from toolkeep.gateway.repository import GatewayRepository, HostedServer, KeyState
from toolkeep.gateway.responses import Answer
from toolkeep.gateway.routing import McpTarget
from toolkeep.gateway.toolcache import ToolCache
from toolkeep.gateway.usage import UsageRecorder
from toolkeep.keys.verifier import MALFORMED, Outcome, Verdict, judge, parse_key
from toolkeep.mcp import CTX_KEY, EXCHANGE_KEY, Exchange, McpEndpoint, RequestContext, Session
from toolkeep.mcp.asgi import Receive, Scope, Send
from toolkeep.sandbox.execution import ToolExecutor
from toolkeep.servers.models import SecurityMode

Refusal = Problem | Verdict
log = logging.getLogger("toolkeep.gateway")


class _Admitted:
    """What admission established about a request (a plain class: built on every request)."""

    __slots__ = ("at", "kid", "known_session", "server", "stored_last_used")

    def __init__(
        self,
        server: HostedServer,
        kid: str | None,
        stored_last_used: datetime | None,
        known_session: tuple[str, Session | None] | None,
        at: datetime,
    ) -> None:
        self.server = server
        self.kid = kid
        self.stored_last_used = stored_last_used
        self.known_session = known_session
        self.at = at  # when the request was admitted: its traffic row's time


class McpRuntime:
    def __init__(
        self,
        repo: GatewayRepository,
        tools: ToolCache,
        engine: McpEndpoint,
        usage: UsageRecorder,
        peppers: Peppers,
        sealer: Sealer,
        clock: Clock,
    ) -> None:
        self.repo = repo
        self.tools = tools
        self.engine = engine
        self.usage = usage
        self.peppers = peppers
        self.sealer = sealer
        self.clock = clock
        self.locked = LockedServers()
        self.runner: MeteredRunner | None = None  # set by the lifespan; read by metrics
        self.executor: ToolExecutor | None = None  # set by the lifespan; test runs use it
        self.pruner: SessionPruner | None = None  # set by the lifespan (hourly session pruning)

    async def handle(self, scope: Scope, receive: Receive, send: Send, target: McpTarget) -> None:
        started = time.perf_counter()
        rid = responses.new_request_id()
        client = scope.get("client")
        ip: str | None = client[0] if client else None
        admitted = self._admit(scope, target, rid, ip, started)
        if type(admitted) is not _Admitted:  # refused: the answer to send
            await send(admitted[0])  # type: ignore[index]
            await send(admitted[1])  # type: ignore[index]
            return
        strip_authorization(scope)
        server = admitted.server
        scope[CTX_KEY] = RequestContext(
            server.id, server.name, server.subdomain, admitted.kid, ip, rid, admitted.known_session
        )
        try:
            await self.engine(scope, receive, send)
        finally:
            self._record(scope.get(EXCHANGE_KEY), admitted, ip, started)

    def _admit(
        self, scope: Scope, target: McpTarget, rid: str, ip: str | None, started: float
    ) -> _Admitted | Answer:
        """Admission, synchronously: the request's facts, or the answer refusing it."""
        sub = target.subdomain
        found = extract(scope)
        token = parse_key(found.value) if found.value else None
        locked_id = self.locked.locked_id(sub)
        early = _early_refusal(locked_id, found.value, found.problem, token)
        if early is not None:
            return self._refuse(sub, locked_id, early, rid, ip, started)
        try:
            server, state, session = self.repo.server_and_key(
                sub, token.kid if token else None, found.session_id
            )
        except Unavailable:
            return responses.UNAVAILABLE.messages(rid.encode())
        if server is None or not self._path_matches(server, target.secret):
            return responses.SERVER_NOT_FOUND.messages(rid.encode())
        self.tools.note(server.id, server.tools_version)
        locked = server.security_mode is SecurityMode.API_KEY
        self.locked.saw(sub, server.id, locked)
        known = None if found.session_id is None else (found.session_id, session)
        now = self.clock()
        if not locked:
            return _Admitted(server, None, None, known, now)
        try:
            refusal = found.problem or self._verdict(server.id, token, state, now)
        except ConfigurationError as exc:  # e.g. a key minted with a pepper not loaded here
            log.error("cannot verify a key for %s: %s", sub, exc.message)
            return responses.UNAVAILABLE.messages(rid.encode())
        if isinstance(refusal, Verdict) and refusal.outcome is Outcome.VALID:
            last_used = state.last_used_at if state else None
            return _Admitted(server, refusal.kid, last_used, known, now)
        return self._refuse(sub, server.id, refusal, rid, ip, started)

    def _verdict(
        self, server_id: uuid.UUID, token: Token | None, state: KeyState | None, now: datetime
    ) -> Verdict:
        if token is None:
            return MALFORMED
        return judge(self.peppers, server_id, token, state.credentials if state else None, now)

    def _path_matches(self, server: HostedServer, secret: str | None) -> bool:
        if server.security_mode is not SecurityMode.UNLISTED:
            return secret is None
        if secret is None or server.unlisted_secret is None:
            return False
        expected = self.sealer.open(server.unlisted_secret, f"server:{server.id}:unlisted")
        return hmac.compare_digest(secret.encode(), expected.encode())

    def _refuse(
        self,
        sub: str,
        server_id: uuid.UUID | None,
        refusal: Refusal,
        rid: str,
        ip: str | None,
        started: float,
    ) -> Answer:
        if isinstance(refusal, Problem):
            answer = responses.prepared_problem(sub, refusal).messages(rid.encode())
            status, code = (401 if refusal in _NO_CREDENTIAL else 400), refusal.value
        else:
            answer = responses.rejection(sub, refusal, rid)
            status, code = 401, refusal.outcome.value
            if server_id and refusal.kid and refusal.outcome in _USED_AFTER:
                event = _USED_AFTER[refusal.outcome]
                self.usage.revoked_key_used(server_id, sub, refusal.kid, ip, event)
        if server_id is not None:
            kid = refusal.kid if isinstance(refusal, Verdict) else None
            self.usage.refused(server_id, ip, code, kid, status, _ms(started))
        return answer

    def _record(
        self, exchange: Exchange | None, admitted: _Admitted, ip: str | None, started: float
    ) -> None:
        ex = exchange or Exchange(status=500)
        client = f"{ex.client_name} {ex.client_version or ''}".strip() if ex.client_name else None
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        # traffic_log COLUMNS: at, server_id, method, tool, http_status, rpc_error, error_code,
        # duration_ms, client_ip, session_id, kid, client, count
        row = (
            admitted.at, admitted.server.id, ex.method, ex.tool, ex.status, ex.error_code,
            None, duration_ms, ip, ex.session_id, admitted.kid, client, 1,
        )  # fmt: skip
        self.usage.traffic_row(row)
        if admitted.kid is not None:
            self.usage.key_used(admitted.kid, admitted.stored_last_used, ip, client, admitted.at)


_NO_CREDENTIAL = frozenset({Problem.MISSING, Problem.NO_SCHEME})
_USED_AFTER = {Outcome.REVOKED: "key.used_after_revoke", Outcome.EXPIRED: "key.used_after_expiry"}


def _early_refusal(
    locked_id: uuid.UUID | None, value: str | None, problem: Problem | None, token: Token | None
) -> Refusal | None:
    """What can be refused with no database read at all (``locked_id``: the server was
    seen in API Key mode moments ago)."""
    if value is not None and token is None and value.startswith("tk_"):
        return MALFORMED  # a broken Toolkeep key, whatever the server's mode
    if locked_id is None:
        return None
    if problem is not None:
        return problem
    return MALFORMED if token is None else None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
