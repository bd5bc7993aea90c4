"""Tool rules (names, descriptions, parameters, code) and the schema a tool is served with."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from toolkeep.tools import rules
from toolkeep.tools.errors import InvalidToolField, ToolLimitReached
from toolkeep.tools.models import (
    ABSENT,
    MAX_CODE_BYTES,
    MAX_TOOLS,
    Parameter,
    ParameterType,
    Tool,
    ToolSpec,
)

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def tool(*parameters: Parameter) -> Tool:
    return Tool(
        id=uuid.uuid4(),
        server_id=uuid.uuid4(),
        name="get_weather",
        description="Weather for a city",
        parameters=parameters,
        code="return 1",
        created_at=T0,
        updated_at=T0,
    )


def refused(call: Any, *args: Any) -> InvalidToolField:
    with pytest.raises(InvalidToolField) as caught:
        call(*args)
    assert caught.value.code == "invalid_tool_field"
    assert caught.value.status == 422
    return caught.value


@pytest.mark.parametrize("name", ["a", "get_weather", "x1_2", "a" * 64])
def test_snake_case_names_up_to_64_characters_are_accepted(name: str) -> None:
    assert rules.check_name(name) == name


@pytest.mark.parametrize("name", ["", "GetWeather", "1abc", "_lead", "get-weather", "a" * 65, "é"])
def test_other_names_are_refused_with_the_rule_spelled_out(name: str) -> None:
    error = refused(rules.check_name, name)
    assert error.field == "name"
    assert "snake_case" in error.message


def test_a_description_is_required_trimmed_and_at_most_2000_characters() -> None:
    assert rules.check_description("  Weather for a city \n") == "Weather for a city"
    assert "needs a description" in refused(rules.check_description, "   ").message
    assert rules.check_description("x" * 2000) == "x" * 2000
    assert refused(rules.check_description, "x" * 2001).field == "description"
    assert "NUL" in refused(rules.check_description, "a\x00b").message


def test_code_is_non_empty_and_at_most_512_kb_of_utf8() -> None:
    assert rules.check_code("return 1") == "return 1"
    assert "empty" in refused(rules.check_code, " \n\t").message
    assert rules.check_code("x" * MAX_CODE_BYTES)
    too_big = refused(rules.check_code, "é" * (MAX_CODE_BYTES // 2 + 1))  # bytes, not characters
    assert too_big.field == "code"
    assert "512 KB" in too_big.message
    assert refused(rules.check_code, "return '\ud800'").field == "code"


def test_parameters_are_checked_one_by_one_with_their_index_as_the_field() -> None:
    good = Parameter("city", "string", " The city ", required=True)
    assert rules.check_parameters([good]) == (Parameter("city", "string", "The city", True),)
    cases: list[tuple[list[Parameter], str, str]] = [
        ([good, Parameter("9lives", "string")], "parameters[1].name", "not starting with a digit"),
        ([good, Parameter("city", "number")], "parameters[1].name", "unique"),
        ([Parameter("n", "float")], "parameters[0].type", "one of string, number"),  # type: ignore[arg-type]
        ([Parameter("n", "string", "x" * 2001)], "parameters[0].description", "2000"),
    ]
    for parameters, field, words in cases:
        error = refused(rules.check_parameters, parameters)
        assert (error.field, words in error.message) == (field, True), error.message


def test_at_most_50_parameters() -> None:
    fifty = [Parameter(f"p{i}", "string") for i in range(50)]
    assert len(rules.check_parameters(fifty)) == 50
    error = refused(rules.check_parameters, [*fifty, Parameter("p50", "string")])
    assert error.field == "parameters"
    assert "at most 50" in error.message


@pytest.mark.parametrize(
    ("kind", "default"),
    [
        ("string", "Paris"),
        ("number", 1.5),
        ("number", 3),
        ("integer", 3),
        ("integer", 3.0),
        ("boolean", False),
        ("array", [1, "a"]),
        ("object", {"a": [1]}),
    ],
)
def test_a_default_of_the_parameters_type_is_accepted(kind: ParameterType, default: Any) -> None:
    (checked,) = rules.check_parameters([Parameter("p", kind, default=default)])
    assert checked.default == default


@pytest.mark.parametrize(
    ("kind", "default", "got"),
    [
        ("string", 1, "integer"),
        ("integer", 1.5, "number"),
        ("integer", True, "boolean"),
        ("number", False, "boolean"),
        ("number", float("nan"), "number"),
        ("boolean", "true", "string"),
        ("array", {"a": 1}, "object"),
        ("object", [1], "array"),
        ("string", None, "null"),
    ],
)
def test_a_default_of_another_type_is_refused(kind: ParameterType, default: Any, got: str) -> None:
    error = refused(rules.check_parameters, [Parameter("p", kind, default=default)])
    assert error.field == "parameters[0].default"
    assert error.message == f"The default of parameter 'p' must be of type {kind}, got {got}."


def test_a_required_parameter_cannot_also_have_a_default() -> None:
    error = refused(rules.check_parameters, [Parameter("p", "string", required=True, default="x")])
    assert error.field == "parameters[0].default"
    assert "only applies to an optional parameter" in error.message


def test_a_default_must_be_plain_json_of_at_most_16_kb() -> None:
    assert (
        "16384"
        in refused(rules.check_parameters, [Parameter("p", "string", default="x" * 20000)]).message
    )
    assert (
        "plain JSON"
        in refused(rules.check_parameters, [Parameter("p", "object", default={"d": T0})]).message
    )


def test_a_whole_spec_is_checked_and_normalised() -> None:
    spec = ToolSpec("get_weather", "  Weather ", "return 1", (Parameter("city", "string"),))
    assert rules.check_spec(spec) == ToolSpec("get_weather", "Weather", "return 1", spec.parameters)


def test_a_server_holds_at_most_200_tools() -> None:
    rules.check_room(MAX_TOOLS - 1)
    with pytest.raises(ToolLimitReached) as caught:
        rules.check_room(MAX_TOOLS)
    assert (caught.value.code, caught.value.status) == ("tool_limit_reached", 409)


def test_the_input_schema_is_a_closed_object_with_defaults_only_where_given() -> None:
    served = tool(
        Parameter("city", "string", "The city", required=True),
        Parameter("days", "integer", "How many days", default=3),
        Parameter("tags", "array"),
    ).input_schema()
    assert served == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city"},
            "days": {"type": "integer", "description": "How many days", "default": 3},
            "tags": {"type": "array", "description": "", "items": {}},
        },
        "required": ["city"],
        "additionalProperties": False,
    }


def test_a_schema_with_nothing_required_has_no_required_list() -> None:
    assert "required" not in tool(Parameter("days", "integer")).input_schema()
    assert tool().input_schema() == {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }


def test_parameters_round_trip_through_their_stored_json() -> None:
    parameters = [
        Parameter("city", "string", "The city", required=True),
        Parameter("unit", "string", default="metric"),
        Parameter("note", "string", default=""),
    ]
    stored = [p.to_json() for p in parameters]
    assert "default" not in stored[0]
    assert stored[2]["default"] == ""
    assert [Parameter.from_json(s) for s in stored] == parameters
    assert Parameter.from_json(stored[0]).default is ABSENT
