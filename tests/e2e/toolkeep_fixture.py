"""A real Toolkeep on loopback for the end-to-end client tests, and what it saw.

:func:`running_toolkeep` prepares a fresh SQLite deployment (one owner; server ``acme`` in
API Key mode with tools ``add(a, b)`` and ``echo(text)``, a second key on ``acme`` that is
revoked, and a second server ``other`` with its own key), then serves ``create_app`` from a
thread, wrapped in :class:`TrafficRecorder` so tests can assert on every request the server
answered (method, path, Host, status, ``WWW-Authenticate``).

Both endpoint forms are served: the path form ``http://127.0.0.1:<port>/s/acme/mcp`` and the
base-domain form ``http://acme.mcp.test:<port>/mcp``. ``acme.mcp.test`` does not resolve; the
Python client reaches it by sending ``Host: acme.mcp.test:<port>`` to 127.0.0.1, the Node
clients by running under :func:`hosts_wrap` (a private mount namespace in which
``/etc/hosts`` maps the name to 127.0.0.1; needs ``unshare`` and root).
"""

from __future__ import annotations

import contextlib
import shlex
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.support.clients import node_cmd
from tests.support.shim import serve_in_thread
from toolkeep.actors import Actor
from toolkeep.app import create_app
from toolkeep.context import open_context
from toolkeep.servers.models import SecurityMode
from toolkeep.settings import Settings
from toolkeep.tools.models import Parameter, ToolSpec
from toolkeep.tools.service import ToolService

__all__ = [
    "BASE_DOMAIN",
    "OAUTH_PATH_MARKERS",
    "Endpoint",
    "Keys",
    "Seen",
    "Toolkeep",
    "TrafficRecorder",
    "hosts_wrap",
    "hosts_wrap_unavailable",
    "running_toolkeep",
]

BASE_DOMAIN = "mcp.test"
# Any request whose path contains one of these is an OAuth discovery / flow attempt.
OAUTH_PATH_MARKERS = (
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-protected-resource",
    "/.well-known/openid-configuration",
    "/register",
    "/authorize",
    "/token",
)

Form = Literal["path", "host"]


# --------------------------------------------------------------------------- traffic


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the server answered it (``status`` None: no response was started)."""

    method: str
    path: str
    host: str
    status: int | None
    www_authenticate: tuple[str, ...]

    @property
    def is_oauth(self) -> bool:
        return any(marker in self.path for marker in OAUTH_PATH_MARKERS)

    def __str__(self) -> str:
        challenge = f" [{'; '.join(self.www_authenticate)}]" if self.www_authenticate else ""
        return f"{self.method} {self.host}{self.path} -> {self.status}{challenge}"


class TrafficRecorder:
    """ASGI middleware: records every HTTP request when its response starts (so a held-open
    SSE stream is recorded at once), or when the app returns without answering."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._seen: list[Seen] = []
        self._lock = threading.Lock()

    def mark(self) -> int:
        """A position to pass to :meth:`since`."""
        with self._lock:
            return len(self._seen)

    def since(self, mark: int) -> list[Seen]:
        with self._lock:
            return list(self._seen[mark:])

    def _add(self, seen: Seen) -> None:
        with self._lock:
            self._seen.append(seen)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        host = next(
            (v.decode("latin-1") for n, v in scope["headers"] if n == b"host"),
            "",
        )
        started = False

        async def recording_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and not started:
                started = True
                challenges = tuple(
                    v.decode("latin-1")
                    for n, v in message.get("headers", [])
                    if n.lower() == b"www-authenticate"
                )
                self._add(Seen(method, path, host, message["status"], challenges))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if not started:
                self._add(Seen(method, path, host, None, ()))


# --------------------------------------------------------------------------- name resolution


def hosts_wrap(directory: Path, names: Sequence[str]) -> tuple[str, ...]:
    """An argv prefix that runs a command with ``names`` resolving to 127.0.0.1.

    Writes ``directory/hosts`` (the real ``/etc/hosts`` plus the names) and bind-mounts it
    over ``/etc/hosts`` in a private mount namespace, then ``exec``s the command (so its pid,
    signals and stdio are the command's own). The host's ``/etc/hosts`` is never touched.
    """
    hosts = directory / "hosts"
    extra = "".join(f"127.0.0.1 {name}\n" for name in names)
    hosts.write_text(Path("/etc/hosts").read_text(encoding="utf-8") + "\n" + extra)
    script = f'mount --bind {shlex.quote(str(hosts))} /etc/hosts && exec "$@"'
    return ("unshare", "-m", "sh", "-c", script, "sh")


def hosts_wrap_unavailable(wrap: Sequence[str], name: str) -> str | None:
    """Why ``wrap`` cannot make Node resolve ``name`` to 127.0.0.1 here (a skip reason)."""
    probe = (
        "require('dns').lookup(process.argv[1], {family: 4}, "
        "(err, address) => process.exit(!err && address === '127.0.0.1' ? 0 : 1))"
    )
    try:
        done = subprocess.run(
            [*wrap, *node_cmd(), "-e", probe, name],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run the /etc/hosts wrapper: {exc!r}"
    if done.returncode != 0:
        return (
            f"the /etc/hosts wrapper (unshare -m + mount --bind; needs root) did not make "
            f"{name} resolve: exit {done.returncode} {done.stderr.strip()[-300:]}"
        )
    return None


# --------------------------------------------------------------------------- deployment


@dataclass(frozen=True, slots=True)
class Keys:
    acme: str  # acme's active key
    acme_revoked: str  # a second key of acme, revoked
    other: str  # the active key of the server ``other``

    def secrets(self) -> tuple[str, ...]:
        return (self.acme, self.acme_revoked, self.other)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One URL form of ``acme``'s endpoint, with what each kind of client needs to reach it.

    ``url``: what a user would configure (the Node clients get it verbatim, under ``wrap``).
    ``python_url`` + ``python_headers``: where the in-process Python client connects and the
    extra headers it sends (an explicit ``Host`` for the base-domain form).
    ``mcp_path``: the request path the server sees.
    """

    form: Form
    url: str
    python_url: str
    python_headers: Mapping[str, str]
    mcp_path: str
    wrap: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Toolkeep:
    base_url: str
    port: int
    keys: Keys
    traffic: TrafficRecorder
    data_dir: Path

    @property
    def path_endpoint(self) -> Endpoint:
        url = f"{self.base_url}/s/acme/mcp"
        return Endpoint("path", url, url, {}, "/s/acme/mcp")

    def host_endpoint(self, wrap: Sequence[str]) -> Endpoint:
        host = f"acme.{BASE_DOMAIN}:{self.port}"
        return Endpoint(
            "host",
            f"http://{host}/mcp",
            f"{self.base_url}/mcp",
            {"Host": host},
            "/mcp",
            tuple(wrap),
        )


def _prepare(settings: Settings) -> Keys:
    with open_context(settings) as ctx:
        user = ctx.accounts.create_user("owner@example.com", "correct horse battery staple")
        actor = Actor(user.id, user.email)
        acme = ctx.servers.create(
            actor, name="Acme", subdomain="acme", security_mode=SecurityMode.API_KEY
        )
        other = ctx.servers.create(
            actor, name="Other", subdomain="other", security_mode=SecurityMode.API_KEY
        )
        assert acme.minted_key is not None
        assert other.minted_key is not None
        revoked = ctx.keys.create(actor, "acme", "to-revoke")
        ctx.keys.revoke(actor, "acme", revoked.key.kid)
        tools = ToolService(ctx.db, ctx.clock)
        tools.create(
            actor,
            "acme",
            ToolSpec(
                "add",
                "Add two numbers and return their sum.",
                "return params.a + params.b;",
                parameters=(
                    Parameter("a", "number", "The first number", required=True),
                    Parameter("b", "number", "The second number", required=True),
                ),
            ),
        )
        tools.create(
            actor,
            "acme",
            ToolSpec(
                "echo",
                "Return the text unchanged.",
                "return params.text;",
                parameters=(Parameter("text", "string", "The text to echo", required=True),),
            ),
        )
        return Keys(
            acme=acme.minted_key.plaintext,
            acme_revoked=revoked.plaintext,
            other=other.minted_key.plaintext,
        )


@contextlib.contextmanager
def running_toolkeep(data_dir: Path) -> Iterator[Toolkeep]:
    """Prepare a deployment in ``data_dir`` (SQLite) and serve it on 127.0.0.1."""
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir}/tk.db",
        base_domain=BASE_DOMAIN,
        _env_file=None,
    )
    keys = _prepare(settings)
    recorder = TrafficRecorder(create_app(settings))
    with serve_in_thread(recorder) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        yield Toolkeep(base_url=base_url, port=port, keys=keys, traffic=recorder, data_dir=data_dir)
