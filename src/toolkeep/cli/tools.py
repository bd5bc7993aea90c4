"""``toolkeep tools``: the tools of a server: list, show, create, update, delete."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from toolkeep.cli import output
from toolkeep.cli.manifest import ManifestInvalid, parse_parameters
from toolkeep.cli.runtime import OPERATOR, operate
from toolkeep.context import AppContext
from toolkeep.tools.models import (
    PARAMETER_TYPES,
    Parameter,
    ParameterType,
    Tool,
    ToolChanges,
    ToolSpec,
)
from toolkeep.tools.service import ToolService

app = typer.Typer(help="Tools of a server: JavaScript run in a sandbox.", no_args_is_help=True)

Subdomain = Annotated[str, typer.Argument(help="The server's subdomain.")]
Name = Annotated[str, typer.Argument(help="The tool's name (snake_case), e.g. get_weather.")]
PARAM_HELP = (
    "A parameter as name:type[:required][:description], repeatable, in order; type is one of "
    f"{', '.join(PARAMETER_TYPES)}. E.g. 'city:string:required:City name'."
)
ParamOption = Annotated[list[str] | None, typer.Option("--param", help=PARAM_HELP)]
ParamsJsonOption = Annotated[
    Path | None,
    typer.Option(
        "--params-json",
        help="A JSON file with the list of parameters (name, type, description, required, "
        "default); instead of --param.",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]
_UPDATE_OPTIONS = "--name / --description / --code-file / --param / --params-json / --clear-params"
CODE_HELP = "File with the JavaScript: the body of an async function (- for stdin)."


def tool_service(ctx: AppContext) -> ToolService:
    """The tool service over ``ctx`` (until ``AppContext`` carries one)."""
    return ToolService(ctx.db, ctx.clock)


@app.command("list")
def list_tools(cli: typer.Context, subdomain: Subdomain, as_json: output.JsonFlag = False) -> None:
    """List a server's tools, in name order."""
    with operate(cli) as ctx:
        found = ctx.tools.list_tools(OPERATOR, subdomain)
    if as_json:
        output.emit_json([_tool_json(t, with_code=False) for t in found])
        return
    rows = [
        [
            t.name,
            ", ".join(p.name for p in t.parameters) or "-",
            output.when(t.updated_at),
            _first_line(t.description),
        ]
        for t in found
    ]
    headers = ["NAME", "PARAMETERS", "UPDATED", "DESCRIPTION"]
    output.table(headers, rows, empty=f"No tools on {subdomain}.")


@app.command()
def show(
    cli: typer.Context, subdomain: Subdomain, name: Name, as_json: output.JsonFlag = False
) -> None:
    """Show a tool: its parameters and its code."""
    with operate(cli) as ctx:
        tool = ctx.tools.get(OPERATOR, subdomain, name)
    if as_json:
        output.emit_json(_tool_json(tool, with_code=True))
        return
    _describe(subdomain, tool)


@app.command()
def create(
    cli: typer.Context,
    subdomain: Subdomain,
    name: Name,
    description: Annotated[
        str, typer.Option("--description", help="What the tool does; the model reads it.")
    ],
    code_file: Annotated[
        Path,
        typer.Option("--code-file", help=CODE_HELP, dir_okay=False),
    ],
    param: ParamOption = None,
    params_json: ParamsJsonOption = None,
    as_json: output.JsonFlag = False,
) -> None:
    """Create a tool. It is live as soon as it is saved."""
    parameters = _parameters(param, params_json) or ()
    spec = ToolSpec(name, description, _read_code(code_file), parameters)
    with operate(cli) as ctx:
        tool = ctx.tools.create(OPERATOR, subdomain, spec)
    if as_json:
        output.emit_json(_tool_json(tool, with_code=True))
        return
    typer.echo(f"Created tool {tool.name} on {subdomain}; it is live now.")
    _parameter_table(tool)


@app.command()
def update(
    cli: typer.Context,
    subdomain: Subdomain,
    name: Name,
    new_name: Annotated[str | None, typer.Option("--name", help="Rename the tool.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    code_file: Annotated[
        Path | None,
        typer.Option("--code-file", help=CODE_HELP, dir_okay=False),
    ] = None,
    param: ParamOption = None,
    params_json: ParamsJsonOption = None,
    clear_params: Annotated[
        bool, typer.Option("--clear-params", help="Remove every parameter.")
    ] = False,
    as_json: output.JsonFlag = False,
) -> None:
    """Change fields. --param / --params-json replace the whole parameter list."""
    parameters = _parameters(param, params_json)
    if clear_params:
        if parameters is not None:
            raise typer.BadParameter(
                "give --clear-params or new parameters, not both.", param_hint="--clear-params"
            )
        parameters = ()
    code = _read_code(code_file) if code_file is not None else None
    changes = ToolChanges(name=new_name, description=description, parameters=parameters, code=code)
    if changes == ToolChanges():
        raise typer.BadParameter("nothing to change.", param_hint=_UPDATE_OPTIONS)
    with operate(cli) as ctx:
        tools = ctx.tools
        before = tools.get(OPERATOR, subdomain, name)
        after = tools.update(OPERATOR, subdomain, name, changes)
    if as_json:
        output.emit_json(_tool_json(after, with_code=True))
        return
    changed = [
        f for f in ("name", "description", "parameters", "code") if _differs(before, after, f)
    ]
    if not changed:
        typer.echo(f"Tool {name} on {subdomain} is unchanged (the values are the same).")
        return
    renamed = f" (now {after.name})" if after.name != name else ""
    typer.echo(f"Updated tool {name}{renamed} on {subdomain}: {', '.join(changed)}.")


@app.command()
def delete(
    cli: typer.Context,
    subdomain: Subdomain,
    name: Name,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a tool. Clients stop seeing it at once."""
    with operate(cli) as ctx:
        tools = ctx.tools
        tools.get(OPERATOR, subdomain, name)  # an unknown tool fails before asking
        if not yes:
            typer.confirm(f"Delete tool '{name}' from server '{subdomain}'?", abort=True)
        tools.delete(OPERATOR, subdomain, name)
    typer.echo(f"Deleted tool {name} from {subdomain}.")


def parse_param(text: str) -> Parameter:
    """``name:type[:required|optional][:description]`` (the description may contain ``:``)."""
    parts = text.split(":", 3)
    if len(parts) < 2 or not parts[0]:
        raise typer.BadParameter(
            f"'{text}' is not name:type[:required][:description].", param_hint="--param"
        )
    flag = parts[2] if len(parts) > 2 else ""
    if flag not in ("", "required", "optional"):
        raise typer.BadParameter(
            f"'{text}': the third part is 'required', 'optional' or empty, got '{flag}' "
            "(write name:type::description for an optional parameter with a description).",
            param_hint="--param",
        )
    description = parts[3] if len(parts) > 3 else ""
    kind = cast(ParameterType, parts[1])  # the service checks the type
    return Parameter(parts[0], kind, description, required=flag == "required")


def _parameters(params: list[str] | None, params_json: Path | None) -> tuple[Parameter, ...] | None:
    """The new parameter list, or ``None`` when neither option is given."""
    if params and params_json is not None:
        raise typer.BadParameter("give --param or --params-json, not both.", param_hint="--param")
    if params:
        return tuple(parse_param(p) for p in params)
    if params_json is None:
        return None
    try:
        data: Any = json.loads(params_json.read_text(encoding="utf-8"))
    except ValueError as exc:  # including UnicodeDecodeError
        raise typer.BadParameter(
            f"{params_json} is not JSON: {exc}.", param_hint="--params-json"
        ) from None
    try:
        return parse_parameters(data, "parameters")
    except ManifestInvalid as exc:
        raise typer.BadParameter(exc.message, param_hint="--params-json") from None


def _read_code(file: Path) -> str:
    try:
        if str(file) == "-":
            return sys.stdin.read()
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise typer.BadParameter(f"{file} is not UTF-8 text.", param_hint="--code-file") from None
    except OSError as exc:
        problem = f"cannot read {file}: {exc.strerror or exc}."
        raise typer.BadParameter(problem, param_hint="--code-file") from None


def _differs(before: Tool, after: Tool, field: str) -> bool:
    return bool(getattr(before, field) != getattr(after, field))


def _first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "-"
    return line if len(line) <= width else line[: width - 1] + "…"


def _tool_json(tool: Tool, *, with_code: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": tool.name,
        "description": tool.description,
        "parameters": [p.to_json() for p in tool.parameters],
        "input_schema": tool.input_schema(),
        "created_at": tool.created_at,
        "updated_at": tool.updated_at,
    }
    if with_code:
        data["code"] = tool.code
    return data


def _describe(subdomain: str, tool: Tool) -> None:
    output.details(
        [
            ("Name", tool.name),
            ("Server", subdomain),
            ("Description", tool.description),
            ("Created", output.when(tool.created_at)),
            ("Updated", output.when(tool.updated_at)),
        ]
    )
    _parameter_table(tool)
    typer.echo("Code:")
    typer.echo(tool.code.rstrip("\n"))


def _parameter_table(tool: Tool) -> None:
    if not tool.parameters:
        typer.echo("Parameters: none")
        return
    typer.echo("Parameters:")
    rows = [
        [
            f"  {p.name}",
            p.type,
            "yes" if p.required else "no",
            json.dumps(p.default) if p.has_default else "-",
            p.description or "-",
        ]
        for p in tool.parameters
    ]
    output.table(["  NAME", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"], rows, empty="")
