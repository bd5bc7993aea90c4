"""Map a run's result to what ``tools/call`` answers (content blocks, structuredContent).

The ``status`` is for the traffic log only: the JSON-RPC response is a result either way.
"""

from __future__ import annotations

import json
from typing import Any, Final

from toolkeep.mcp.ports import ToolCallOutcome
from toolkeep.sandbox.runner import ToolRunResult

STATUS: Final[dict[str, int]] = {
    "thrown": 500,
    "timeout": 504,
    "memory": 507,
    "result_too_large": 500,
    "crash": 500,
}
DEFAULT_MESSAGE: Final[dict[str, str]] = {
    "thrown": "The tool threw an error.",
    "timeout": "Tool timed out.",
    "memory": "Tool exceeded its memory limit.",
    "result_too_large": "The tool's return value is too large.",
    "crash": "The sandbox failed unexpectedly.",
}
TOOL_ERROR_STATUS: Final = 500  # a result the tool itself marked ``isError``
INVALID_ARGUMENTS_STATUS: Final = 400
_RESULT_KEYS: Final = frozenset({"content", "isError", "structuredContent", "_meta"})


def to_outcome(result: ToolRunResult) -> ToolCallOutcome:
    """String: one text block. Undefined: no content. An MCP-shaped result passes through.

    Any other JSON value: its JSON as text plus ``structuredContent``, which must be an
    object, so a non-object value is wrapped as ``{"result": value}``.
    """
    if result.error_kind is not None:
        message = result.error or DEFAULT_MESSAGE[result.error_kind]
        return _error(message, STATUS[result.error_kind])
    if result.undefined:
        return ToolCallOutcome(content=[])
    value = result.value
    if isinstance(value, str):
        return ToolCallOutcome(content=[_text(value)])
    passthrough = _mcp_result(value)
    if passthrough is not None:
        return passthrough
    structured = value if isinstance(value, dict) else {"result": value}
    text = json.dumps(value, ensure_ascii=False)
    return ToolCallOutcome(content=[_text(text)], structured_content=structured)


def invalid_arguments_outcome(message: str) -> ToolCallOutcome:
    """Arguments failed validation: no code ran; the model can fix the call and retry."""
    return _error(message, INVALID_ARGUMENTS_STATUS)


def _error(message: str, status: int) -> ToolCallOutcome:
    return ToolCallOutcome(content=[_text(message)], is_error=True, status=status)


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _mcp_result(value: Any) -> ToolCallOutcome | None:
    """``{"content": [blocks], "isError"?: bool, "structuredContent"?: {...}}``, else None."""
    if not isinstance(value, dict) or "content" not in value or not value.keys() <= _RESULT_KEYS:
        return None
    content, is_error = value["content"], value.get("isError", False)
    structured = value.get("structuredContent")
    if not isinstance(content, list) or not all(_is_block(block) for block in content):
        return None
    if not isinstance(is_error, bool) or not (structured is None or isinstance(structured, dict)):
        return None
    return ToolCallOutcome(
        content=content,
        structured_content=structured,
        is_error=is_error,
        status=TOOL_ERROR_STATUS if is_error else 200,
    )


def _is_block(block: Any) -> bool:
    if not isinstance(block, dict):
        return False
    kind = block.get("type")
    if kind == "text":
        return _strings(block, "text")
    if kind in ("image", "audio"):
        return _strings(block, "data", "mimeType")
    if kind == "resource_link":
        return _strings(block, "uri", "name")
    if kind == "resource":
        resource = block.get("resource")
        return isinstance(resource, dict) and _strings(resource, "uri")
    return False


def _strings(block: dict[str, Any], *keys: str) -> bool:
    return all(isinstance(block.get(key), str) for key in keys)
