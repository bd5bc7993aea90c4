"""A run's result as ``tools/call`` answers it, for every kind of value and failure."""

from __future__ import annotations

from typing import Any

import pytest

from toolkeep.mcp.ports import ToolCallOutcome
from toolkeep.sandbox.results import invalid_arguments_outcome, to_outcome
from toolkeep.sandbox.runner import ErrorKind, ToolRunResult


def text(value: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": value}]


def test_a_string_is_one_text_block_without_structured_content() -> None:
    assert to_outcome(ToolRunResult("Sunny in Oslo")) == ToolCallOutcome(
        content=text("Sunny in Oslo")
    )


def test_undefined_is_an_empty_result() -> None:
    assert to_outcome(ToolRunResult(None, undefined=True)) == ToolCallOutcome(content=[])


def test_an_object_is_json_text_plus_the_object_as_structured_content() -> None:
    value = {"city": "Oslo", "temp": -3.5, "note": "café"}
    outcome = to_outcome(ToolRunResult(value))
    assert outcome.content == text('{"city": "Oslo", "temp": -3.5, "note": "café"}')
    assert outcome.structured_content == value
    assert (outcome.is_error, outcome.status) == (False, 200)


@pytest.mark.parametrize(
    ("value", "as_text"),
    [([1, "a"], '[1, "a"]'), (42, "42"), (1.5, "1.5"), (True, "true"), (None, "null")],
)
def test_any_other_json_value_is_wrapped_as_an_object_for_structured_content(
    value: Any, as_text: str
) -> None:
    outcome = to_outcome(ToolRunResult(value))
    assert outcome.content == text(as_text)
    assert outcome.structured_content == {"result": value}
    assert outcome.is_error is False


def test_an_mcp_shaped_result_passes_through() -> None:
    value: dict[str, Any] = {
        "content": [
            {"type": "text", "text": "Here is the chart"},
            {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
            {"type": "resource_link", "uri": "https://example.com/a", "name": "a"},
            {"type": "resource", "resource": {"uri": "file:///a.txt", "text": "hi"}},
            {"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"},
        ],
        "structuredContent": {"points": 3},
    }
    outcome = to_outcome(ToolRunResult(value))
    assert outcome == ToolCallOutcome(
        content=value["content"], structured_content={"points": 3}, is_error=False, status=200
    )


def test_an_mcp_shaped_error_result_passes_through_as_an_error() -> None:
    value = {"content": [{"type": "text", "text": "City not found"}], "isError": True}
    assert to_outcome(ToolRunResult(value)) == ToolCallOutcome(
        content=text("City not found"), is_error=True, status=500
    )


@pytest.mark.parametrize(
    "value",
    [
        {"content": "just a field called content"},
        {"content": [{"type": "text"}]},
        {"content": [{"type": "video", "data": "x"}]},
        {"content": [], "isError": "yes"},
        {"content": [], "structuredContent": [1]},
        {"content": [], "other": 1},
        {"content": [{"type": "text", "text": "x"}, "loose string"]},
    ],
)
def test_an_object_that_only_looks_like_an_mcp_result_is_plain_data(value: Any) -> None:
    outcome = to_outcome(ToolRunResult(value))
    assert outcome.structured_content == value
    assert outcome.is_error is False


@pytest.mark.parametrize(
    ("kind", "error", "status"),
    [
        ("thrown", "Error: City not found (line 3)", 500),
        ("timeout", "Tool timed out after 30 s", 504),
        ("memory", "Tool exceeded 64 MB of memory", 507),
        ("result_too_large", "The tool's return value is 6.0 MB of JSON; the limit is 4 MB.", 500),
        ("crash", "The sandbox failed unexpectedly.", 500),
    ],
)
def test_a_failure_is_an_error_result_with_its_message_and_a_log_status(
    kind: ErrorKind, error: str, status: int
) -> None:
    outcome = to_outcome(ToolRunResult(None, error=error, error_kind=kind))
    assert outcome == ToolCallOutcome(content=text(error), is_error=True, status=status)


def test_a_failure_without_a_message_gets_a_generic_one() -> None:
    outcome = to_outcome(ToolRunResult(None, error_kind="timeout"))
    assert outcome.content == text("Tool timed out.")


def test_invalid_arguments_are_an_error_result_recorded_as_400() -> None:
    outcome = invalid_arguments_outcome("Argument 'city' is required.")
    assert outcome == ToolCallOutcome(
        content=text("Argument 'city' is required."), is_error=True, status=400
    )
