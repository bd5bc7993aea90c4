"""Check a tool call's arguments against the tool's parameters, before any code runs.

Hand-written for the subset of JSON Schema our schemas use (a flat object of typed
properties), so every failure gets a message a model can act on.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from toolkeep.tools.errors import ArgumentsInvalid
from toolkeep.tools.models import Parameter, Tool

_ARTICLE = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
}


def json_type_name(value: Any) -> str:
    """The JSON name of a Python value's type (``bool`` is boolean, never integer)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def matches_type(expected: str, value: Any) -> bool:
    """JSON Schema ``type``: integer accepts 3 and 3.0, never ``true``; numbers are finite."""
    if isinstance(value, bool):
        return expected == "boolean"
    if expected == "string":
        return isinstance(value, str)
    if expected == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if expected == "number":
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    if expected == "array":
        return isinstance(value, list)
    if expected == "object":
        return isinstance(value, dict)
    return False


def validate_arguments(tool: Tool, arguments: Any) -> dict[str, Any]:
    """The arguments with defaults applied, or ``ArgumentsInvalid`` naming the first problem.

    ``null`` for an optional parameter counts as not given (models often send it).
    """
    if not isinstance(arguments, dict):
        raise ArgumentsInvalid(
            f"Arguments must be an object, got {json_type_name(arguments)}.", field="arguments"
        )
    known = {p.name for p in tool.parameters}
    unknown = [name for name in arguments if name not in known]
    if unknown:
        raise ArgumentsInvalid(_unknown_message(tool, unknown), field=unknown[0])
    checked: dict[str, Any] = {}
    for parameter in tool.parameters:
        value = arguments.get(parameter.name)
        if value is None and not parameter.required:
            if parameter.has_default:
                checked[parameter.name] = copy.deepcopy(parameter.default)
            continue
        if parameter.name not in arguments:
            raise ArgumentsInvalid(
                f"Argument '{parameter.name}' is required.", field=parameter.name
            )
        _check_value(parameter, value)
        checked[parameter.name] = value
    return checked


def _check_value(parameter: Parameter, value: Any) -> None:
    if matches_type(parameter.type, value):
        return
    got = json_type_name(value)
    if parameter.type == "number" and isinstance(value, float):
        got = "a non-finite number"
    raise ArgumentsInvalid(
        f"Argument '{parameter.name}' must be {_ARTICLE[parameter.type]}, got {got}.",
        field=parameter.name,
    )


def _unknown_message(tool: Tool, unknown: list[str]) -> str:
    names = ", ".join(f"'{_short(name)}'" for name in unknown[:5])
    if len(unknown) > 5:
        names += f" and {len(unknown) - 5} more"
    noun = "argument" if len(unknown) == 1 else "arguments"
    if not tool.parameters:
        return f"Unknown {noun} {names}; this tool takes no arguments."
    accepted = ", ".join(p.name for p in tool.parameters)
    return f"Unknown {noun} {names}; this tool accepts: {accepted}."


def _short(name: str) -> str:
    return name if len(name) <= 64 else name[:61] + "..."
