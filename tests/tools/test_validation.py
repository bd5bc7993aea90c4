"""Arguments are checked against the tool's parameters with messages a model can act on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from toolkeep.tools.errors import ArgumentsInvalid
from toolkeep.tools.models import Parameter, ParameterType, Tool
from toolkeep.tools.validation import validate_arguments

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
WEATHER = Tool(
    id=uuid.uuid4(),
    server_id=uuid.uuid4(),
    name="get_weather",
    description="Weather for a city",
    parameters=(
        Parameter("city", "string", required=True),
        Parameter("days", "integer", default=3),
        Parameter("tags", "array", default=["a"]),
        Parameter("verbose", "boolean"),
    ),
    code="return 1",
    created_at=T0,
    updated_at=T0,
)


def message(arguments: Any, tool: Tool = WEATHER) -> str:
    with pytest.raises(ArgumentsInvalid) as caught:
        validate_arguments(tool, arguments)
    return caught.value.message


def one(kind: ParameterType) -> Tool:
    return Tool(
        WEATHER.id, WEATHER.server_id, "t", "d", (Parameter("v", kind, required=True),), "1", T0, T0
    )


def test_defaults_fill_in_missing_optional_arguments() -> None:
    assert validate_arguments(WEATHER, {"city": "Oslo"}) == {
        "city": "Oslo",
        "days": 3,
        "tags": ["a"],
    }


def test_a_mutable_default_is_copied_for_each_call() -> None:
    first = validate_arguments(WEATHER, {"city": "Oslo"})
    first["tags"].append("mutated")
    assert validate_arguments(WEATHER, {"city": "Oslo"})["tags"] == ["a"]


def test_null_for_an_optional_argument_counts_as_not_given() -> None:
    checked = validate_arguments(WEATHER, {"city": "Oslo", "days": None, "verbose": None})
    assert checked == {"city": "Oslo", "days": 3, "tags": ["a"]}


def test_given_arguments_are_kept_as_given() -> None:
    arguments = {"city": "Oslo", "days": 5, "tags": [], "verbose": True}
    assert validate_arguments(WEATHER, arguments) == arguments


def test_a_missing_required_argument_is_named() -> None:
    assert message({}) == "Argument 'city' is required."
    assert message({"days": 2}) == "Argument 'city' is required."


def test_null_for_a_required_argument_is_a_type_error() -> None:
    assert message({"city": None}) == "Argument 'city' must be a string, got null."


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"city": "Oslo", "days": "3"}, "Argument 'days' must be an integer, got string."),
        ({"city": "Oslo", "days": 2.5}, "Argument 'days' must be an integer, got number."),
        ({"city": "Oslo", "days": True}, "Argument 'days' must be an integer, got boolean."),
        ({"city": 7}, "Argument 'city' must be a string, got integer."),
        ({"city": "Oslo", "tags": "a,b"}, "Argument 'tags' must be an array, got string."),
        ({"city": "Oslo", "verbose": 1}, "Argument 'verbose' must be a boolean, got integer."),
    ],
)
def test_a_wrong_type_names_the_argument_the_type_and_what_was_sent(
    arguments: dict[str, Any], expected: str
) -> None:
    assert message(arguments) == expected


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("number", [1, 1.5, -0.0, 10**20], [True, "1", None, float("inf"), float("nan")]),
        ("integer", [1, -3, 2.0], [False, 1.5, "2"]),
        ("boolean", [True, False], [0, 1, "true"]),
        ("object", [{}, {"a": {"b": 1}}], [[], "{}", 1]),
        ("array", [[], [1, [2]]], [{}, "[]"]),
        ("string", ["", "x"], [1, [], {}, False]),
    ],
)
def test_json_types_follow_json_schema_and_a_boolean_is_never_a_number(
    kind: ParameterType, good: list[Any], bad: list[Any]
) -> None:
    for value in good:
        assert validate_arguments(one(kind), {"v": value}) == {"v": value}
    for value in bad:
        with pytest.raises(ArgumentsInvalid):
            validate_arguments(one(kind), {"v": value})


def test_an_unknown_argument_lists_what_the_tool_accepts() -> None:
    assert message({"city": "Oslo", "foo": 1}) == (
        "Unknown argument 'foo'; this tool accepts: city, days, tags, verbose."
    )
    assert message({"city": "Oslo", "foo": 1, "bar": 2}) == (
        "Unknown arguments 'foo', 'bar'; this tool accepts: city, days, tags, verbose."
    )


def test_a_tool_without_parameters_says_it_takes_none() -> None:
    bare = Tool(WEATHER.id, WEATHER.server_id, "t", "d", (), "1", T0, T0)
    assert validate_arguments(bare, {}) == {}
    assert message({"x": 1}, bare) == "Unknown argument 'x'; this tool takes no arguments."


def test_arguments_that_are_not_an_object_are_refused() -> None:
    assert message([1]) == "Arguments must be an object, got array."


def test_the_error_is_an_invalid_input_with_a_stable_code() -> None:
    with pytest.raises(ArgumentsInvalid) as caught:
        validate_arguments(WEATHER, {})
    assert (caught.value.code, caught.value.field) == ("invalid_arguments", "city")
