"""The ``toolkeep apply`` file: YAML to typed, fully validated specs, before anything is written.

Every problem is reported with the path of the value at fault (``tools[1].parameters[0].type``).
The same rules as the services run here, so a file that loads can only fail later on the state
of the database (a taken subdomain, a race), never on its own content.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import yaml

from toolkeep.errors import InvalidInput, ToolkeepError
from toolkeep.servers import validation
from toolkeep.servers.models import SecurityMode
from toolkeep.tools import rules
from toolkeep.tools.models import ABSENT, MAX_TOOLS, Parameter, ParameterType, ToolSpec

SERVER_FIELDS = ("subdomain", "name", "description", "security_mode", "prune", "tools")
TOOL_FIELDS = ("name", "description", "parameters", "code", "code_file")
PARAMETER_FIELDS = ("name", "type", "description", "required", "default")


class ManifestInvalid(InvalidInput):
    code = "invalid_manifest"

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem, field=path or None)


@dataclass(frozen=True, slots=True)
class ServerSpec:
    subdomain: str
    name: str
    description: str
    security_mode: SecurityMode


@dataclass(frozen=True, slots=True)
class Manifest:
    server: ServerSpec
    tools: tuple[ToolSpec, ...]
    prune: bool


def load(file: Path) -> Manifest:
    """Read and validate ``file`` (``-`` is stdin; ``code_file`` is then relative to the cwd)."""
    if str(file) == "-":
        text, base = sys.stdin.read(), Path.cwd()
    else:
        text, base = _read(file, ""), file.parent
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ManifestInvalid("", f"Not valid YAML{where}: {exc.problem or exc}.") from None
    except yaml.YAMLError as exc:
        raise ManifestInvalid("", f"Not valid YAML: {exc}.") from None
    return parse(data, base)


def parse(data: Any, base: Path) -> Manifest:
    if data is None:
        raise ManifestInvalid("", "The file is empty; it needs at least subdomain and name.")
    fields = _fields(data, "", SERVER_FIELDS, required=("subdomain", "name"))
    server = ServerSpec(
        subdomain=_server_rule(validation.check_subdomain, _text(fields, "subdomain", "")),
        name=_server_rule(validation.check_name, _text(fields, "name", "")),
        description=_server_rule(
            validation.check_description, _text(fields, "description", "", default="")
        ),
        security_mode=_mode(fields.get("security_mode")),
    )
    return Manifest(server, _tools(fields.get("tools"), base), _flag(fields, "prune", ""))


def parse_parameters(data: Any, path: str) -> tuple[Parameter, ...]:
    """A list of parameter mappings (structure only; ``rules`` checks names, types, defaults)."""
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ManifestInvalid(path, f"must be a list of parameters, got {_kind(data)}.")
    return tuple(_parameter(item, f"{path}[{i}]") for i, item in enumerate(data))


def _tools(data: Any, base: Path) -> tuple[ToolSpec, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ManifestInvalid("tools", f"must be a list of tools, got {_kind(data)}.")
    if len(data) > MAX_TOOLS:
        raise ManifestInvalid("tools", f"a server has at most {MAX_TOOLS} tools; got {len(data)}.")
    specs: list[ToolSpec] = []
    seen: dict[str, str] = {}
    for index, item in enumerate(data):
        path = f"tools[{index}]"
        spec = _tool(item, path, base)
        if spec.name in seen:
            raise ManifestInvalid(
                f"{path}.name", f"'{spec.name}' is already defined at {seen[spec.name]}."
            )
        seen[spec.name] = path
        specs.append(spec)
    return tuple(specs)


def _tool(data: Any, path: str, base: Path) -> ToolSpec:
    fields = _fields(data, path, TOOL_FIELDS, required=("name", "description"))
    name = _text(fields, "name", path)
    description = _text(fields, "description", path)
    has_code, has_file = fields.get("code") is not None, fields.get("code_file") is not None
    if has_code == has_file:
        problem = (
            "give either code or code_file, not both." if has_code else "needs code or code_file."
        )
        raise ManifestInvalid(path, problem)
    code_key = "code" if has_code else "code_file"
    try:
        rules.check_name(name)  # before reading any code file: the name says which tool
        if has_code:
            code = _text(fields, "code", path)
        else:
            code = _read(base / _text(fields, "code_file", path), _join(path, "code_file"))
        parameters = parse_parameters(fields.get("parameters"), _join(path, "parameters"))
        return rules.check_spec(ToolSpec(name, description, code, parameters))
    except ManifestInvalid:
        raise
    except ToolkeepError as exc:
        field = code_key if exc.field == "code" else exc.field or ""
        raise ManifestInvalid(_join(path, field), exc.message) from None


def _parameter(data: Any, path: str) -> Parameter:
    fields = _fields(data, path, PARAMETER_FIELDS, required=("name", "type"))
    return Parameter(
        name=_text(fields, "name", path),
        type=cast(ParameterType, _text(fields, "type", path)),  # rules checks the value
        description=_text(fields, "description", path, default=""),
        required=_flag(fields, "required", path),
        default=ABSENT if fields.get("default") is None else fields["default"],
    )


def _fields(
    data: Any, path: str, known: tuple[str, ...], *, required: tuple[str, ...]
) -> dict[str, Any]:
    """``data`` as a mapping with only ``known`` keys and every ``required`` one."""
    if not isinstance(data, dict):
        what = "must be a mapping of fields" if path else "The file must be a mapping of fields"
        raise ManifestInvalid(path, f"{what}, got {_kind(data)}.")
    for key in data:
        if not isinstance(key, str) or key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ManifestInvalid(
                _join(path, str(key)), f"unknown field; expected one of {', '.join(known)}.{hint}"
            )
    for key in required:
        if data.get(key) is None:
            raise ManifestInvalid(_join(path, key), "is required.")
    return data


def _text(fields: dict[str, Any], key: str, path: str, *, default: str | None = None) -> str:
    value = fields.get(key)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        hint = " (put it in quotes)" if isinstance(value, bool | int | float | date) else ""
        raise ManifestInvalid(_join(path, key), f"must be text, got {_kind(value)}{hint}.")
    return value


def _flag(fields: dict[str, Any], key: str, path: str) -> bool:
    value = fields.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ManifestInvalid(_join(path, key), f"must be true or false, got {_kind(value)}.")
    return value


def _mode(value: Any) -> SecurityMode:
    if value is None:
        return SecurityMode.API_KEY
    modes = ", ".join(m.value for m in SecurityMode)
    if not isinstance(value, str) or value not in {m.value for m in SecurityMode}:
        raise ManifestInvalid("security_mode", f"must be one of {modes}; got {value!r}.")
    return SecurityMode(value)


def _server_rule(check: Callable[[str], str], value: str) -> str:
    try:
        return check(value)
    except ToolkeepError as exc:
        raise ManifestInvalid(exc.field or "", exc.message) from None


def _read(file: Path, path: str) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ManifestInvalid(path, f"{file} is not UTF-8 text.") from None
    except OSError as exc:
        raise ManifestInvalid(path, f"cannot read {file}: {exc.strerror or exc}.") from None


def _join(path: str, key: str) -> str:
    if not key:
        return path
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "text", bool: "a boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.safe_load``, except that a key given twice in one mapping is an error (the last
    one would silently win, e.g. a second ``code:`` hiding the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                continue  # the base class reports unhashable keys; ours are all text
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping
