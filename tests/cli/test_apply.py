from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.cli.helpers import KEY_RE, Cli, key_matches_stored_digest, only_key, snapshot
from toolkeep.actors import SYSTEM
from toolkeep.context import AppContext
from toolkeep.errors import Unavailable
from toolkeep.servers.errors import ServerNotFound
from toolkeep.servers.models import SecurityMode
from toolkeep.settings import Settings
from toolkeep.store.tables import audit_events
from toolkeep.tools.models import Parameter
from toolkeep.tools.service import ToolService

FORECAST_JS = (
    "const r = await sdk.http({method: 'GET', url: env.API + params.city});\nreturn r.body();\n"
)

WEATHER = """\
subdomain: weather
name: Weather
description: Forecasts and current conditions.
security_mode: {mode}
tools:
  - name: get_forecast
    description: The forecast for a city, day by day.
    parameters:
      - name: city
        type: string
        description: City name, e.g. Lisbon.
        required: true
      - name: days
        type: integer
        description: How many days.
        default: 3
    code_file: js/forecast.js
  - name: current_conditions
    description: Current conditions in a city.
    parameters:
      - {{name: city, type: string, required: true}}
    code: |
      return {{city: params.city, temp_c: 21}};
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "forecast.js").write_text(FORECAST_JS, encoding="utf-8")
    return tmp_path


def _write(workdir: Path, text: str, name: str = "server.yaml") -> str:
    path = workdir / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def _weather(workdir: Path, mode: str = "api_key", extra: str = "") -> str:
    return _write(workdir, WEATHER.format(mode=mode) + extra)


def _apply(cli: Cli, path: str, *extra: str) -> str:
    result = cli("apply", "-f", path, *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def _audit_rows(ctx: AppContext) -> int:
    with ctx.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


def _tools(ctx: AppContext) -> dict[str, Any]:
    return {t.name: t for t in ToolService(ctx.db, ctx.clock).list_tools(SYSTEM, "weather")}


def test_apply_creates_the_server_and_its_tools_and_prints_the_key_once(
    cli: Cli, admin: str, workdir: Path, ctx: AppContext
) -> None:
    out = _apply(cli, _weather(workdir), "--owner", admin)

    assert out.splitlines()[:4] == [
        "server/weather created",
        "tool/get_forecast created",
        "tool/current_conditions created",
        "weather: 3 created, 0 updated, 0 unchanged, 0 deleted.",
    ]
    key = only_key(out)
    assert key_matches_stored_digest(ctx, key)
    assert "will not be shown again" in out
    assert "http://127.0.0.1:8000/s/weather/mcp" in out
    server = ctx.servers.get(SYSTEM, "weather")
    assert server.owner_id == ctx.accounts.get_user(admin).id
    assert (server.name, server.security_mode) == ("Weather", SecurityMode.API_KEY)
    tools = _tools(ctx)
    assert tools["get_forecast"].code == FORECAST_JS
    assert tools["get_forecast"].parameters == (
        Parameter("city", "string", "City name, e.g. Lisbon.", required=True),
        Parameter("days", "integer", "How many days.", default=3),
    )
    assert tools["current_conditions"].code == "return {city: params.city, temp_c: 21};\n"


def test_a_second_apply_prints_unchanged_for_everything_and_writes_nothing(
    cli: Cli, admin: str, workdir: Path, ctx: AppContext, settings: Settings
) -> None:
    path = _weather(workdir)
    _apply(cli, path, "--owner", admin)
    rows, before = _audit_rows(ctx), snapshot(settings)

    out = _apply(cli, path, "--owner", admin)

    assert out.splitlines() == [
        "server/weather unchanged",
        "tool/get_forecast unchanged",
        "tool/current_conditions unchanged",
        "weather: 0 created, 0 updated, 3 unchanged, 0 deleted.",
    ]
    assert _audit_rows(ctx) == rows
    assert snapshot(settings) == before


def test_apply_updates_only_the_items_that_differ_and_audits_only_those(
    cli: Cli, admin: str, workdir: Path, ctx: AppContext
) -> None:
    _apply(cli, _weather(workdir), "--owner", admin)
    (workdir / "js" / "forecast.js").write_text("return [];\n", encoding="utf-8")
    changed = WEATHER.format(mode="api_key").replace("name: Weather", "name: Weather Pro")
    rows = _audit_rows(ctx)

    out = _apply(cli, _write(workdir, changed))

    assert out.splitlines()[:3] == [
        "server/weather updated (name)",
        "tool/get_forecast updated (code)",
        "tool/current_conditions unchanged",
    ]
    assert not KEY_RE.search(out)
    assert _audit_rows(ctx) == rows + 2
    events = [e.event for e in ctx.servers.audit_trail(SYSTEM, "weather")[:2]]
    assert events == ["tool.updated", "server.updated"]
    assert _tools(ctx)["get_forecast"].code == "return [];\n"
    assert ctx.servers.get(SYSTEM, "weather").name == "Weather Pro"


def test_switching_to_api_key_mints_a_key_only_when_none_is_active(
    cli: Cli, admin: str, workdir: Path, ctx: AppContext
) -> None:
    created = _apply(cli, _weather(workdir, "public"), "--owner", admin)
    switched = _apply(cli, _weather(workdir, "api_key"))
    away = _apply(cli, _weather(workdir, "public"))
    back = _apply(cli, _weather(workdir, "api_key"))

    assert not KEY_RE.search(created)
    assert "server/weather updated (security_mode public -> api_key)" in switched
    assert key_matches_stored_digest(ctx, only_key(switched))
    assert not KEY_RE.search(away)
    assert "server/weather updated (security_mode public -> api_key)" in back
    assert not KEY_RE.search(back)  # the first key is still active, so none is minted
    _, keys = ctx.keys.list_keys(SYSTEM, "weather")
    assert len(keys) == 1


def test_prune_deletes_the_tools_missing_from_the_file_and_only_with_prune(
    cli: Cli, admin: str, workdir: Path, ctx: AppContext
) -> None:
    _apply(cli, _weather(workdir), "--owner", admin)
    only_forecast = WEATHER.format(mode="api_key").split("  - name: current_conditions")[0]

    kept = _apply(cli, _write(workdir, only_forecast))
    assert "current_conditions" not in kept
    assert set(_tools(ctx)) == {"get_forecast", "current_conditions"}

    pruned = _apply(cli, _write(workdir, "prune: true\n" + only_forecast))
    assert pruned.splitlines()[:3] == [
        "server/weather unchanged",
        "tool/get_forecast unchanged",
        "tool/current_conditions deleted",
    ]
    assert set(_tools(ctx)) == {"get_forecast"}
    assert ctx.servers.audit_trail(SYSTEM, "weather")[0].event == "tool.deleted"


def test_a_dry_run_prints_the_plan_and_writes_nothing(
    cli: Cli, admin: str, workdir: Path, settings: Settings
) -> None:
    path = _weather(workdir)
    before = snapshot(settings)

    out = _apply(cli, path, "--owner", admin, "--dry-run")

    assert out.splitlines() == [
        "server/weather created (dry run)",
        "tool/get_forecast created (dry run)",
        "tool/current_conditions created (dry run)",
        "An API key would be minted and shown once.",
        "Dry run: nothing was changed.",
    ]
    assert snapshot(settings) == before


def test_apply_reads_the_file_from_stdin_given_a_dash(
    cli: Cli, admin: str, ctx: AppContext
) -> None:
    text = "subdomain: weather\nname: Weather\nsecurity_mode: public\n"

    result = cli("apply", "-f", "-", "--owner", admin, input=text)

    assert result.exit_code == 0, result.output
    assert ctx.servers.get(SYSTEM, "weather").security_mode is SecurityMode.PUBLIC


BAD_FILES = {
    "not YAML": ("subdomain: weather\nname: [Weather\n", "Not valid YAML at line 3"),
    "a list": ("- subdomain: weather\n", "The file must be a mapping of fields, got a list."),
    "a duplicate key": (
        "subdomain: weather\nname: A\nname: B\n",
        "the key 'name' appears twice",
    ),
    "an unknown top-level field": (
        "subdomain: weather\nname: W\nmode: public\n",
        "mode: unknown field",
    ),
    "an unknown parameter field": (
        WEATHER.format(mode="api_key").replace("type: integer", "typ: integer"),
        "tools[0].parameters[1].typ: unknown field; expected one of name, type, description, "
        "required, default. Did you mean 'type'?",
    ),
    "a bad tool name": (
        WEATHER.format(mode="api_key").replace("current_conditions", "CurrentConditions"),
        "tools[1].name: A tool name is",
    ),
    "a bad parameter type": (
        WEATHER.format(mode="api_key").replace("type: integer", "type: int"),
        "tools[0].parameters[1].type: Parameter 'days' has type 'int'",
    ),
    "a default of the wrong type": (
        WEATHER.format(mode="api_key").replace("default: 3", "default: three"),
        "tools[0].parameters[1].default: The default of parameter 'days' must be of type integer",
    ),
    "a missing code file": (
        WEATHER.format(mode="api_key").replace("js/forecast.js", "js/missing.js"),
        "tools[0].code_file: cannot read",
    ),
    "both code and code_file": (
        WEATHER.format(mode="api_key").replace(
            "    code_file: js/forecast.js", "    code_file: js/forecast.js\n    code: return 1;"
        ),
        "tools[0]: give either code or code_file, not both.",
    ),
    "a tool twice": (
        WEATHER.format(mode="api_key").replace("current_conditions", "get_forecast"),
        "tools[1].name: 'get_forecast' is already defined at tools[0].",
    ),
    "an unquoted yes": (
        "subdomain: weather\nname: yes\n",
        "name: must be text, got a boolean (put it in quotes).",
    ),
    "a bad subdomain": ("subdomain: Weather!\nname: W\n", "subdomain: A subdomain is"),
    "a bad mode": ("subdomain: weather\nname: W\nsecurity_mode: oauth2\n", "security_mode: must"),
    "a missing name": ("subdomain: weather\n", "name: is required."),
    "prune as text": ("subdomain: weather\nname: W\nprune: 'yes'\n", "prune: must be true or"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_an_invalid_file_fails_naming_the_path_at_fault_and_changes_nothing(
    cli: Cli, admin: str, workdir: Path, settings: Settings, case: str
) -> None:
    _apply(cli, _weather(workdir, "public"), "--owner", admin)
    before = snapshot(settings)
    text, message = BAD_FILES[case]

    result = cli("apply", "-f", _write(workdir, text, "bad.yaml"), "--owner", admin)

    assert result.exit_code == 1
    assert result.stderr.startswith("error[invalid_manifest]: ")
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(settings) == before


def test_creating_a_server_needs_an_owner_and_writes_nothing_without_one(
    cli: Cli, admin: str, workdir: Path, ctx: AppContext, settings: Settings
) -> None:
    before = snapshot(settings)

    result = cli("apply", "-f", _weather(workdir))

    assert result.exit_code == 1
    assert result.stderr.startswith("error[owner_required]: ")
    assert "--owner" in result.stderr
    assert snapshot(settings) == before
    with pytest.raises(ServerNotFound):
        ctx.servers.get(SYSTEM, "weather")


def test_applying_with_an_owner_who_does_not_own_the_server_fails_and_changes_nothing(
    cli: Cli, admin: str, workdir: Path, ctx: AppContext, settings: Settings
) -> None:
    ctx.accounts.create_user("other@example.com", "correct horse battery")
    _apply(cli, _weather(workdir), "--owner", admin)
    changed = WEATHER.format(mode="public")
    before = snapshot(settings)

    result = cli("apply", "-f", _write(workdir, changed), "--owner", "other@example.com")

    assert result.exit_code == 1
    assert result.stderr.startswith("error[owner_mismatch]: ")
    assert admin in result.stderr
    assert snapshot(settings) == before


def test_a_failure_midway_names_the_item_keeps_what_was_applied_and_still_prints_the_key(
    cli: Cli, admin: str, workdir: Path, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_put = ToolService.put

    def put_failing_on_the_second(self: ToolService, actor: Any, subdomain: str, spec: Any) -> Any:
        if spec.name == "current_conditions":
            raise Unavailable("The database went away.")
        return real_put(self, actor, subdomain, spec)

    monkeypatch.setattr(ToolService, "put", put_failing_on_the_second)

    result = cli("apply", "-f", _weather(workdir), "--owner", admin)

    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == ["server/weather created", "tool/get_forecast created"]
    assert "Stopped at tool/current_conditions (tools[1])" in result.stderr
    assert "error[unavailable]: The database went away." in result.stderr
    assert key_matches_stored_digest(ctx, only_key(result.stdout))
    assert set(_tools(ctx)) == {"get_forecast"}
