"""Validation of tool names, descriptions, parameters, code, and the per-server tool cap."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from toolkeep.tools.errors import InvalidToolField, ToolLimitReached
from toolkeep.tools.models import (
    MAX_CODE_BYTES,
    MAX_DEFAULT_BYTES,
    MAX_DESCRIPTION,
    MAX_PARAMETERS,
    MAX_TOOLS,
    PARAMETER_TYPES,
    Parameter,
    ToolSpec,
)
from toolkeep.tools.validation import json_type_name, matches_type

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
PARAMETER_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name):
        raise InvalidToolField(
            "A tool name is 1-64 characters of lowercase letters, digits and underscores, "
            "starting with a letter (snake_case, e.g. get_weather).",
            field="name",
        )
    return name


def check_description(description: str, field: str = "description") -> str:
    description = _text(description, field, "A description").strip()
    if not description:
        raise InvalidToolField(
            "A tool needs a description: clients show it to the model to decide when to call "
            "the tool.",
            field=field,
        )
    return description


def check_code(code: str) -> str:
    _text(code, "code", "The code", max_chars=None)
    if not code.strip():
        raise InvalidToolField(
            "The code is empty; write the body of an async function that returns the result.",
            field="code",
        )
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise InvalidToolField(
            f"The code is {size} bytes; the limit is {MAX_CODE_BYTES} bytes (512 KB).",
            field="code",
        )
    return code


def check_parameters(parameters: Iterable[Parameter]) -> tuple[Parameter, ...]:
    checked = tuple(parameters)
    if len(checked) > MAX_PARAMETERS:
        raise InvalidToolField(
            f"A tool has at most {MAX_PARAMETERS} parameters; this one has {len(checked)}.",
            field="parameters",
        )
    seen: set[str] = set()
    out = []
    for index, parameter in enumerate(checked):
        out.append(_check_parameter(parameter, f"parameters[{index}]"))
        if parameter.name in seen:
            raise InvalidToolField(
                f"Two parameters are named '{parameter.name}'; names must be unique.",
                field=f"parameters[{index}].name",
            )
        seen.add(parameter.name)
    return tuple(out)


def check_spec(spec: ToolSpec) -> ToolSpec:
    return ToolSpec(
        name=check_name(spec.name),
        description=check_description(spec.description),
        code=check_code(spec.code),
        parameters=check_parameters(spec.parameters),
    )


def check_room(count: int) -> None:
    if count >= MAX_TOOLS:
        raise ToolLimitReached(
            f"This server already has {MAX_TOOLS} tools, the maximum. "
            "Delete one before creating another."
        )


def _check_parameter(parameter: Parameter, field: str) -> Parameter:
    if not isinstance(parameter.name, str) or not PARAMETER_NAME_RE.fullmatch(parameter.name):
        raise InvalidToolField(
            "A parameter name is 1-64 letters, digits and underscores, not starting with a digit.",
            field=f"{field}.name",
        )
    if parameter.type not in PARAMETER_TYPES:
        raise InvalidToolField(
            f"Parameter '{parameter.name}' has type {parameter.type!r}; the type is one of "
            f"{', '.join(PARAMETER_TYPES)}.",
            field=f"{field}.type",
        )
    description = _text(parameter.description, f"{field}.description", "A description").strip()
    if parameter.has_default:
        _check_default(parameter, f"{field}.default")
        if parameter.required:
            raise InvalidToolField(
                f"Parameter '{parameter.name}' is required and has a default; a default only "
                "applies to an optional parameter. Drop one of them.",
                field=f"{field}.default",
            )
    if description == parameter.description:
        return parameter
    return Parameter(
        parameter.name, parameter.type, description, parameter.required, parameter.default
    )


def _check_default(parameter: Parameter, field: str) -> None:
    if not matches_type(parameter.type, parameter.default):
        raise InvalidToolField(
            f"The default of parameter '{parameter.name}' must be of type {parameter.type}, "
            f"got {json_type_name(parameter.default)}.",
            field=field,
        )
    try:
        encoded = json.dumps(parameter.default, allow_nan=False, ensure_ascii=False)
        size = len(encoded.encode("utf-8"))
    except (TypeError, ValueError, UnicodeEncodeError):
        raise InvalidToolField(
            f"The default of parameter '{parameter.name}' is not plain JSON.", field=field
        ) from None
    if size > MAX_DEFAULT_BYTES:
        raise InvalidToolField(
            f"The default of parameter '{parameter.name}' is {size} bytes of JSON; the limit "
            f"is {MAX_DEFAULT_BYTES}.",
            field=field,
        )


def _text(value: Any, field: str, what: str, *, max_chars: int | None = MAX_DESCRIPTION) -> str:
    if not isinstance(value, str):
        raise InvalidToolField(f"{what} must be text.", field=field)
    if max_chars is not None and len(value) > max_chars:
        raise InvalidToolField(f"{what} is at most {max_chars} characters.", field=field)
    if "\x00" in value:
        raise InvalidToolField(f"{what} cannot contain NUL characters.", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidToolField(f"{what} is not valid Unicode text.", field=field) from None
    return value
