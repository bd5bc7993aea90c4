"""The schema, as SQLAlchemy Core tables. Migrations in ``migrations/`` must match it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

from toolkeep.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# BigInteger autoincrement primary keys must be INTEGER on SQLite to alias ROWID.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)

personal_access_tokens = Table(
    "personal_access_tokens",
    metadata,
    Column("kid", String(16), primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(64), nullable=False),
    Column("digest", LargeBinary(32), nullable=False),
    Column("pepper_version", SmallInteger, nullable=False),
    Column("last4", String(4), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
    Index(None, "user_id"),
)

servers = Table(
    "servers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("subdomain", String(40), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("security_mode", String(16), nullable=False),
    Column("unlisted_secret", LargeBinary, nullable=True),  # AES-GCM sealed
    # Moves on every change to the server's tools (lets replicas cache them safely).
    Column("tools_version", Integer, nullable=False, default=0, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "owner_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("kid", String(16), primary_key=True),
    Column("server_id", Uuid, ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(64), nullable=False),
    Column("digest", LargeBinary(32), nullable=False),
    Column("pepper_version", SmallInteger, nullable=False),
    Column("last4", String(4), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", Uuid, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_by", Uuid, nullable=True),
    Column("revoke_reason", String(32), nullable=True),
    Column("replaced_by", String(16), nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("last_used_ip", String(45), nullable=True),
    Column("last_used_client", String(200), nullable=True),
    Index(None, "server_id", "label"),
)

secrets = Table(
    "secrets",
    metadata,
    Column("server_id", Uuid, ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("sealed_value", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

tools = Table(
    "tools",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("server_id", Uuid, ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("parameters", JSON, nullable=False),
    Column("code", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("server_id", "name"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    # Deliberately no foreign keys: the audit trail outlives servers and users.
    Column("server_id", Uuid, nullable=True),
    Column("subdomain", String(40), nullable=True),
    Column("actor_id", Uuid, nullable=True),
    Column("actor", String(254), nullable=True),
    Column("event", String(48), nullable=False),
    Column("kid", String(16), nullable=True),
    Column("ip", String(45), nullable=True),
    Column("details", JSON, nullable=False),
    Index(None, "server_id", "id"),
)

mcp_sessions = Table(
    "mcp_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("server_id", Uuid, ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("kid", String(16), nullable=True),
    Column("protocol_version", String(16), nullable=False),
    Column("client_name", String(100), nullable=True),
    Column("client_version", String(50), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Index(None, "server_id"),
)

traffic_log = Table(
    "traffic_log",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("server_id", Uuid, nullable=False),  # no FK: rows are written in batches, later
    Column("method", String(64), nullable=True),
    Column("tool", String(64), nullable=True),
    Column("http_status", SmallInteger, nullable=False),
    Column("rpc_error", Integer, nullable=True),
    Column("error_code", String(32), nullable=True),  # auth error codes such as key_revoked
    Column("duration_ms", Float, nullable=False),
    Column("client_ip", String(45), nullable=True),
    Column("session_id", String(64), nullable=True),
    Column("kid", String(16), nullable=True),
    Column("client", String(150), nullable=True),
    # Refused requests are aggregated: one row per (client IP, reason) and flush window.
    Column("count", Integer, nullable=False, default=1),
    # Read newest first per server (ORDER BY id DESC, paged by id): index order, no sort.
    Index(None, "server_id", "id"),
)
