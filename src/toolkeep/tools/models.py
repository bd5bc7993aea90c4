from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

ParameterType = Literal["string", "number", "integer", "boolean", "array", "object"]
PARAMETER_TYPES: Final[tuple[ParameterType, ...]] = (
    "string",
    "number",
    "integer",
    "boolean",
    "array",
    "object",
)
MAX_TOOLS = 200
MAX_PARAMETERS = 50
MAX_NAME = 64
MAX_DESCRIPTION = 2000
MAX_CODE_BYTES = 512 * 1024
MAX_DEFAULT_BYTES = 16 * 1024


class _Absent(enum.Enum):
    TOKEN = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent.TOKEN
"""The ``default`` of a parameter that has none (``None`` would be JSON ``null``)."""


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: ParameterType
    description: str = ""
    required: bool = False
    default: Any = ABSENT

    @property
    def has_default(self) -> bool:
        return self.default is not ABSENT

    def schema(self) -> dict[str, Any]:
        """This parameter's property in the tool's input schema."""
        prop: dict[str, Any] = {"type": self.type, "description": self.description}
        if self.type == "array":
            prop["items"] = {}  # some clients refuse an array schema without ``items``
        if self.has_default:
            prop["default"] = self.default
        return prop

    def to_json(self) -> dict[str, Any]:
        """The stored form (one entry of the ``parameters`` JSON column)."""
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "required": self.required,
        }
        if self.has_default:
            data["default"] = self.default
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Parameter:
        return cls(
            name=data["name"],
            type=data["type"],
            description=data.get("description", ""),
            required=bool(data.get("required", False)),
            default=data.get("default", ABSENT),
        )


@dataclass(frozen=True, slots=True)
class Tool:
    id: uuid.UUID
    server_id: uuid.UUID
    name: str
    description: str
    parameters: tuple[Parameter, ...]
    code: str
    created_at: datetime
    updated_at: datetime

    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of the arguments, as ``tools/list`` serves it."""
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {p.name: p.schema() for p in self.parameters},
        }
        required = [p.name for p in self.parameters if p.required]
        if required:  # an empty list is invalid in older JSON Schema drafts some clients use
            schema["required"] = required
        schema["additionalProperties"] = False
        return schema

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r}, server_id={self.server_id})"


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A whole tool as its author writes it (create, or replace in a declarative apply)."""

    name: str
    description: str
    code: str
    parameters: tuple[Parameter, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolChanges:
    """A partial update; ``None`` means unchanged. ``name`` renames the tool."""

    name: str | None = None
    description: str | None = None
    parameters: tuple[Parameter, ...] | None = None
    code: str | None = None
