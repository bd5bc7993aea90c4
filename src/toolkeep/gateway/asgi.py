"""The outermost ASGI app: MCP traffic to the gateway runtime, the rest to the web app."""

from __future__ import annotations

from toolkeep.gateway import responses
from toolkeep.gateway.hosts import HostPolicy
from toolkeep.gateway.keyless import keyless_refusal
from toolkeep.gateway.routing import OAUTH_PROBE, McpTarget, route
from toolkeep.gateway.runtime import McpRuntime
from toolkeep.mcp.asgi import ASGIApp, Message, Receive, Scope, Send
from toolkeep.settings import Settings

RUNTIME_KEY = "mcp"
MAX_TARGETS = 10_000


class McpGateway:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.base_domain = settings.base_domain
        self.hosts = HostPolicy(settings)
        self._targets: dict[str, McpTarget] = {}  # "/s/..." path -> its target (path only)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path[:3] == "/s/":
            refusal = self._keyless(scope)
            if refusal is not None:  # the 401 flood, answered in a few steps
                await send(refusal[0])
                await send(refusal[1])
                return
            target = self._targets.get(path) or self._route(scope)
        else:
            target = route(scope, self.base_domain)
        if target is None:
            await self.app(scope, receive, send)
        elif target == OAUTH_PROBE:
            await responses.send_oauth_not_enabled(send, responses.new_request_id())
        elif not self.hosts.allows_raw(self.hosts.host_of(scope)):
            await responses.send_host_not_allowed(send, responses.new_request_id())
        else:
            runtime: McpRuntime = scope["state"][RUNTIME_KEY]
            await runtime.handle(scope, receive, send, target)  # type: ignore[arg-type]

    def _route(self, scope: Scope) -> McpTarget | str | None:
        """``route``, remembering MCP targets of ``/s/`` paths (they depend on nothing else)."""
        target = route(scope, self.base_domain)
        if isinstance(target, McpTarget) and len(self._targets) < MAX_TARGETS:
            self._targets[scope["path"]] = target
        return target

    def _keyless(self, scope: Scope) -> tuple[Message, Message] | None:
        """The 401 of a keyless request to ``/s/<sub>/mcp`` of a server seen locked."""
        state = scope.get("state")
        runtime: McpRuntime | None = state.get(RUNTIME_KEY) if state else None
        if runtime is None:
            return None
        hint = runtime.locked.by_path.get(scope["path"])
        return None if hint is None else keyless_refusal(scope, hint, self.hosts, runtime.usage)
