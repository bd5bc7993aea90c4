"""``/servers/{subdomain}/tools``: create, list, read, replace, update, delete a server's tools.

A saved tool is live at once: the next ``tools/list`` or ``tools/call`` sees it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from toolkeep.api.deps import Ctx, CurrentActor
from toolkeep.api.schemas import Strict
from toolkeep.tools.errors import InvalidToolField
from toolkeep.tools.models import (
    ABSENT,
    MAX_CODE_BYTES,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_PARAMETERS,
    Parameter,
    ParameterType,
    Tool,
    ToolChanges,
    ToolSpec,
)
from toolkeep.tools.service import ToolService

router = APIRouter(prefix="/servers/{subdomain}/tools", tags=["tools"])

CODE_HELP = (
    "JavaScript: the body of an async function of (params, env, console, sdk); "
    "its return value is the result. At most 512 KB."
)


class ParameterIn(Strict):
    name: str = Field(max_length=MAX_NAME, examples=["city"])
    type: ParameterType
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    required: bool = False
    default: Any = Field(
        default=None,
        description="Optional; must match the type. Omit it for no default (null is refused).",
    )

    def to_parameter(self) -> Parameter:
        default = self.default if "default" in self.model_fields_set else ABSENT
        return Parameter(self.name, self.type, self.description, self.required, default)


class ToolCreateIn(Strict):
    name: str = Field(max_length=MAX_NAME, examples=["get_weather"])
    description: str = Field(max_length=MAX_DESCRIPTION, examples=["Current weather for a city"])
    parameters: list[ParameterIn] = Field(default_factory=list, max_length=MAX_PARAMETERS)
    code: str = Field(max_length=MAX_CODE_BYTES, description=CODE_HELP)

    def to_spec(self) -> ToolSpec:
        parameters = tuple(p.to_parameter() for p in self.parameters)
        return ToolSpec(self.name, self.description, self.code, parameters)


class ToolPutIn(Strict):
    name: str | None = Field(default=None, description="If given, must equal the URL's name.")
    description: str = Field(max_length=MAX_DESCRIPTION)
    parameters: list[ParameterIn] = Field(default_factory=list, max_length=MAX_PARAMETERS)
    code: str = Field(max_length=MAX_CODE_BYTES, description=CODE_HELP)


class ToolPatchIn(Strict):
    name: str | None = Field(default=None, max_length=MAX_NAME, description="Renames the tool.")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    parameters: list[ParameterIn] | None = Field(default=None, max_length=MAX_PARAMETERS)
    code: str | None = Field(default=None, max_length=MAX_CODE_BYTES, description=CODE_HELP)


class ParameterOut(BaseModel):
    name: str
    type: ParameterType
    description: str
    required: bool
    default: Any = Field(default=None, description="Present only when the parameter has one.")


class ToolOut(BaseModel):
    name: str
    description: str
    parameters: list[ParameterOut]
    input_schema: dict[str, Any] = Field(description="The JSON Schema MCP clients are served.")
    code: str | None = Field(default=None, description="Omitted from lists unless asked for.")
    created_at: datetime
    updated_at: datetime


def get_tool_service(ctx: Ctx) -> ToolService:
    return ctx.tools


Tools = Annotated[ToolService, Depends(get_tool_service)]


def tool_out(tool: Tool, *, with_code: bool = True) -> ToolOut:
    parameters = []
    for p in tool.parameters:
        extra = {"default": p.default} if p.has_default else {}
        parameters.append(
            ParameterOut(
                name=p.name, type=p.type, description=p.description, required=p.required, **extra
            )
        )
    out = ToolOut(
        name=tool.name,
        description=tool.description,
        parameters=parameters,
        input_schema=tool.input_schema(),
        created_at=tool.created_at,
        updated_at=tool.updated_at,
    )
    if with_code:
        out.code = tool.code  # assignment marks the field set, so it is serialized
    return out


def _params(parameters: list[ParameterIn]) -> tuple[Parameter, ...]:
    return tuple(p.to_parameter() for p in parameters)


@router.post("", status_code=201, response_model=ToolOut, response_model_exclude_unset=True)
def create_tool(subdomain: str, body: ToolCreateIn, tools: Tools, actor: CurrentActor) -> ToolOut:
    """Create a tool; it is live at once."""
    return tool_out(tools.create(actor, subdomain, body.to_spec()))


@router.get("", response_model=list[ToolOut], response_model_exclude_unset=True)
def list_tools(
    subdomain: str,
    tools: Tools,
    actor: CurrentActor,
    include_code: Annotated[bool, Query(description="Include each tool's code.")] = False,
) -> list[ToolOut]:
    """In name order."""
    return [tool_out(t, with_code=include_code) for t in tools.list_tools(actor, subdomain)]


@router.get("/{name}", response_model=ToolOut, response_model_exclude_unset=True)
def get_tool(subdomain: str, name: str, tools: Tools, actor: CurrentActor) -> ToolOut:
    return tool_out(tools.get(actor, subdomain, name))


@router.put("/{name}", response_model=ToolOut, response_model_exclude_unset=True)
def put_tool(
    subdomain: str,
    name: str,
    body: ToolPutIn,
    tools: Tools,
    actor: CurrentActor,
    response: Response,
) -> ToolOut:
    """Create the tool (201) or replace all its fields (200). Rename with PATCH."""
    if body.name is not None and body.name != name:
        raise InvalidToolField(
            f"The name in the body ('{body.name}') must match the URL ('{name}'); "
            "rename a tool with PATCH.",
            field="name",
        )
    spec = ToolSpec(name, body.description, body.code, _params(body.parameters))
    tool, status = tools.put(actor, subdomain, spec)
    if status == "created":
        response.status_code = 201
    return tool_out(tool)


@router.patch("/{name}", response_model=ToolOut, response_model_exclude_unset=True)
def update_tool(
    subdomain: str, name: str, body: ToolPatchIn, tools: Tools, actor: CurrentActor
) -> ToolOut:
    """Change the given fields; ``name`` renames the tool."""
    changes = ToolChanges(
        name=body.name,
        description=body.description,
        parameters=None if body.parameters is None else _params(body.parameters),
        code=body.code,
    )
    return tool_out(tools.update(actor, subdomain, name, changes))


@router.delete("/{name}", status_code=204)
def delete_tool(subdomain: str, name: str, tools: Tools, actor: CurrentActor) -> Response:
    tools.delete(actor, subdomain, name)
    return Response(status_code=204)
