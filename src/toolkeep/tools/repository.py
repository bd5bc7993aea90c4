"""SQL for the ``tools`` table."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    ScalarSelect,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from toolkeep.store.tables import servers, tools
from toolkeep.tools.errors import ToolNameTaken
from toolkeep.tools.models import Parameter, Tool


def to_tool(row: Row[Any]) -> Tool:
    values = row._asdict()
    values["parameters"] = tuple(Parameter.from_json(p) for p in values["parameters"])
    return Tool(**values)


def _parameters_json(parameters: tuple[Parameter, ...]) -> list[dict[str, Any]]:
    return [p.to_json() for p in parameters]


class ToolRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert(self, tool: Tool) -> None:
        values = {col.name: getattr(tool, col.name) for col in tools.columns}
        values["parameters"] = _parameters_json(tool.parameters)
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(tools).values(**values))
        except IntegrityError:
            raise ToolNameTaken(tool.name) from None
        self._bump(servers.c.id == tool.server_id)

    def get(self, server_id: uuid.UUID, name: str) -> Tool | None:
        row = self.conn.execute(
            select(tools).where(tools.c.server_id == server_id, tools.c.name == name)
        ).first()
        return to_tool(row) if row else None

    def list_for_server(self, server_id: uuid.UUID) -> list[Tool]:
        """In name order, by code point: the same on every backend, whatever its collation."""
        rows = self.conn.execute(select(tools).where(tools.c.server_id == server_id))
        return sorted((to_tool(row) for row in rows), key=lambda tool: tool.name)

    def count_for_server(self, server_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(tools).where(tools.c.server_id == server_id)
        return int(self.conn.execute(query).scalar_one())

    def update(self, tool_id: uuid.UUID, **values: Any) -> None:
        if "parameters" in values:
            values["parameters"] = _parameters_json(values["parameters"])
        name = values.get("name")
        try:
            with self.conn.begin_nested():
                self.conn.execute(update(tools).where(tools.c.id == tool_id).values(**values))
        except IntegrityError:
            if name is None:
                raise
            raise ToolNameTaken(name) from None
        self._bump(servers.c.id == _server_of(tool_id))

    def delete(self, tool_id: uuid.UUID) -> None:
        self._bump(servers.c.id == _server_of(tool_id))
        self.conn.execute(delete(tools).where(tools.c.id == tool_id))

    def _bump(self, where: ColumnElement[bool]) -> None:
        """Every change to a server's tools moves its ``tools_version``, in the same
        transaction, so replicas that cache tools see the change on their next request."""
        version = servers.c.tools_version
        self.conn.execute(update(servers).where(where).values(tools_version=version + 1))


def _server_of(tool_id: uuid.UUID) -> ScalarSelect[Any]:
    return select(tools.c.server_id).where(tools.c.id == tool_id).scalar_subquery()
