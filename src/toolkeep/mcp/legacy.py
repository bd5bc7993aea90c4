"""Legacy-era (initialize + Mcp-Session-Id) checks."""

from __future__ import annotations

from typing import Final

from toolkeep.mcp.errors import invalid_request
from toolkeep.mcp.headers import RequestHeaders, as_text
from toolkeep.mcp.ports import RequestContext, Session, SessionStore
from toolkeep.mcp.versions import LEGACY_VERSIONS

MISSING_SESSION: Final = "Missing Mcp-Session-Id header; send initialize first"
UNKNOWN_SESSION: Final = "Session not found; re-initialize"
_MAX_SESSION_ID: Final = 256
_SUPPORTED: Final = ", ".join(sorted(LEGACY_VERSIONS))
_SPOKEN: Final = frozenset(version.encode() for version in LEGACY_VERSIONS)  # exact spellings


def check_version_header(headers: RequestHeaders) -> None:
    """Refuse an MCP-Protocol-Version header naming a version the session era does not speak."""
    if headers.protocol_version is None or headers.protocol_version in _SPOKEN:
        return
    version = as_text(headers.protocol_version)
    if version not in LEGACY_VERSIONS:
        raise invalid_request(
            f"Unsupported MCP-Protocol-Version header: {version!r} (supported: {_SUPPORTED})"
        )


async def resolve_session(
    sessions: SessionStore, ctx: RequestContext, raw_id: bytes | None
) -> Session:
    """The live session named by the header, owned by this server and key; 400/404 otherwise."""
    if raw_id is None:
        raise invalid_request(MISSING_SESSION)
    session_id = raw_id.decode("latin-1").strip()
    if not session_id or len(session_id) > _MAX_SESSION_ID:
        raise invalid_request(UNKNOWN_SESSION, 404)
    known = ctx.known_session
    if known is not None and known[0] == session_id:
        session = known[1]  # read by the auth layer in the same statement as the key
    else:
        session = await sessions.get(session_id)
    if session is None or session.server_id.int != ctx.server_id.int or session.kid != ctx.kid:
        raise invalid_request(UNKNOWN_SESSION, 404)
    return session
