from __future__ import annotations

from toolkeep.errors import Conflict, InvalidInput, NotFound


class ToolNotFound(NotFound):
    code = "tool_not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"No tool '{name}' on this server.")


class InvalidToolField(InvalidInput):
    code = "invalid_tool_field"


class ToolNameTaken(Conflict):
    code = "tool_name_taken"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"This server already has a tool named '{name}'; pick another name.", field="name"
        )


class ToolLimitReached(Conflict):
    code = "tool_limit_reached"


class ArgumentsInvalid(InvalidInput):
    """A tool call's arguments do not match the tool's parameters (no code ran)."""

    code = "invalid_arguments"
