"""Fixtures for the tool service tests: two owners, a server each, a ToolService."""

from __future__ import annotations

import pytest

from tests.support.owners import alice, bob  # noqa: F401 (fixtures)
from toolkeep.context import AppContext
from toolkeep.tools.models import Parameter, ToolSpec
from toolkeep.tools.service import ToolService


@pytest.fixture
def service(ctx: AppContext) -> ToolService:
    return ToolService(ctx.db, ctx.clock)


def weather_spec(name: str = "get_weather", **fields: object) -> ToolSpec:
    values: dict[str, object] = {
        "name": name,
        "description": "Current weather for a city",
        "code": "return `Sunny in ${params.city}`;",
        "parameters": (
            Parameter("city", "string", "The city", required=True),
            Parameter("days", "integer", default=1),
        ),
        **fields,
    }
    return ToolSpec(**values)  # type: ignore[arg-type]
