"""Create, read, update and delete a server's tools. Every change is audited (never the code)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import Connection

from toolkeep.actors import Actor
from toolkeep.audit.recorder import AuditRecorder
from toolkeep.clock import Clock
from toolkeep.servers.access import resolve_server
from toolkeep.servers.models import Server
from toolkeep.store.database import Database
from toolkeep.tools import rules
from toolkeep.tools.errors import ToolNameTaken, ToolNotFound
from toolkeep.tools.models import Tool, ToolChanges, ToolSpec
from toolkeep.tools.repository import ToolRepository

PutStatus = Literal["created", "updated", "unchanged"]


class ToolService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.audit = AuditRecorder(clock)

    def create(self, actor: Actor, subdomain: str, spec: ToolSpec) -> Tool:
        spec = rules.check_spec(spec)
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            return self._create_in(conn, actor, server, spec)

    def list_tools(self, actor: Actor, subdomain: str) -> list[Tool]:
        """In name order."""
        with self.db.read() as conn:
            server = resolve_server(conn, actor, subdomain)
            return ToolRepository(conn).list_for_server(server.id)

    def get(self, actor: Actor, subdomain: str, name: str) -> Tool:
        with self.db.read() as conn:
            server = resolve_server(conn, actor, subdomain)
            return _existing(ToolRepository(conn), server, name)

    def update(self, actor: Actor, subdomain: str, name: str, changes: ToolChanges) -> Tool:
        """Apply the given fields; ``changes.name`` renames. A no-op writes nothing."""
        values = _checked_changes(changes)
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            tool = _existing(ToolRepository(conn), server, name)
            return self._update_in(conn, actor, server, tool, values)

    def delete(self, actor: Actor, subdomain: str, name: str) -> None:
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            repo = ToolRepository(conn)
            tool = _existing(repo, server, name)
            repo.delete(tool.id)
            self.audit.record(conn, actor, "tool.deleted", server, name=tool.name)

    def put(self, actor: Actor, subdomain: str, spec: ToolSpec) -> tuple[Tool, PutStatus]:
        """Create the tool ``spec.name`` or replace every field of it."""
        spec = rules.check_spec(spec)
        with self.db.transaction() as conn:
            server = resolve_server(conn, actor, subdomain, for_update=True)
            existing = ToolRepository(conn).get(server.id, spec.name)
            if existing is None:
                return self._create_in(conn, actor, server, spec), "created"
            values = {
                "description": spec.description,
                "parameters": spec.parameters,
                "code": spec.code,
            }
            tool = self._update_in(conn, actor, server, existing, values)
            return tool, "unchanged" if tool is existing else "updated"

    def upsert(self, actor: Actor, subdomain: str, spec: ToolSpec) -> tuple[Tool, bool]:
        """For a declarative apply: create or update; ``changed`` is False for a no-op."""
        tool, status = self.put(actor, subdomain, spec)
        return tool, status != "unchanged"

    def for_server(self, server_id: uuid.UUID) -> list[Tool]:
        """A server's tools with no access check: for the MCP runtime, never for a person."""
        with self.db.read() as conn:
            return ToolRepository(conn).list_for_server(server_id)

    def _create_in(self, conn: Connection, actor: Actor, server: Server, spec: ToolSpec) -> Tool:
        repo = ToolRepository(conn)
        if repo.get(server.id, spec.name) is not None:
            raise ToolNameTaken(spec.name)
        rules.check_room(repo.count_for_server(server.id))
        now = self.clock()
        tool = Tool(
            id=uuid.uuid4(),
            server_id=server.id,
            name=spec.name,
            description=spec.description,
            parameters=spec.parameters,
            code=spec.code,
            created_at=now,
            updated_at=now,
        )
        repo.insert(tool)
        self.audit.record(
            conn,
            actor,
            "tool.created",
            server,
            name=tool.name,
            parameters=[p.name for p in tool.parameters],
            code_bytes=len(tool.code.encode("utf-8")),
        )
        return _existing(repo, server, tool.name)

    def _update_in(
        self, conn: Connection, actor: Actor, server: Server, tool: Tool, values: dict[str, Any]
    ) -> Tool:
        """Write the fields that differ; return ``tool`` itself when none does."""
        changed = {field: v for field, v in values.items() if getattr(tool, field) != v}
        if not changed:
            return tool
        repo = ToolRepository(conn)
        name = changed.get("name", tool.name)
        if "name" in changed and repo.get(server.id, name) is not None:
            raise ToolNameTaken(name)
        repo.update(tool.id, updated_at=self.clock(), **changed)
        details: dict[str, Any] = {"name": name, "fields": sorted(changed)}
        if "name" in changed:
            details["renamed_from"] = tool.name
        if "code" in changed:
            details["code_bytes"] = len(changed["code"].encode("utf-8"))
        self.audit.record(conn, actor, "tool.updated", server, **details)
        return _existing(repo, server, name)


def _checked_changes(changes: ToolChanges) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if changes.name is not None:
        values["name"] = rules.check_name(changes.name)
    if changes.description is not None:
        values["description"] = rules.check_description(changes.description)
    if changes.parameters is not None:
        values["parameters"] = rules.check_parameters(changes.parameters)
    if changes.code is not None:
        values["code"] = rules.check_code(changes.code)
    return values


def _existing(repo: ToolRepository, server: Server, name: str) -> Tool:
    tool = repo.get(server.id, name)
    if tool is None:
        raise ToolNotFound(name)
    return tool
