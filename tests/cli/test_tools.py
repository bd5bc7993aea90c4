from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.cli.helpers import Cli, snapshot
from toolkeep.actors import SYSTEM
from toolkeep.context import AppContext
from toolkeep.settings import Settings
from toolkeep.store.tables import audit_events
from toolkeep.tools.errors import ToolNotFound
from toolkeep.tools.models import ABSENT, Parameter
from toolkeep.tools.service import ToolService

CODE = "const r = await sdk.http({method: 'GET', url: params.url});\nreturn r.body();\n"


@pytest.fixture
def code_file(tmp_path: Path) -> str:
    path = tmp_path / "fetch.js"
    path.write_text(CODE, encoding="utf-8")
    return str(path)


@pytest.fixture
def server(cli: Cli, admin: str) -> str:
    result = cli("servers", "create", "weather", "--name", "Weather", "--owner", admin)
    assert result.exit_code == 0, result.output
    return "weather"


def _create(cli: Cli, code_file: str, *extra: str) -> None:
    result = cli(
        "tools",
        "create",
        "weather",
        "fetch_page",
        "--description",
        "Fetch a page.",
        "--code-file",
        code_file,
        *extra,
    )
    assert result.exit_code == 0, result.output


def _unboxed(text: str) -> str:
    """A usage error without the frame and line breaks of its box."""
    return re.sub(r"[│\s]+", " ", text)


def _audit_rows(ctx: AppContext) -> int:
    with ctx.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


def test_tools_create_stores_the_code_and_parameters_given_as_name_type_flags(
    cli: Cli, server: str, code_file: str, ctx: AppContext
) -> None:
    _create(
        cli,
        code_file,
        "--param",
        "url:string:required:The page: a full URL",
        "--param",
        "timeout:integer",
    )

    tool = ToolService(ctx.db, ctx.clock).get(SYSTEM, server, "fetch_page")
    assert tool.code == CODE
    assert tool.description == "Fetch a page."
    assert tool.parameters == (
        Parameter("url", "string", "The page: a full URL", required=True),
        Parameter("timeout", "integer"),
    )
    events = [e.event for e in ctx.servers.audit_trail(SYSTEM, server)]
    assert events[0] == "tool.created"


def test_tools_list_and_show_print_the_tool_and_show_includes_the_code(
    cli: Cli, server: str, code_file: str
) -> None:
    _create(cli, code_file, "--param", "url:string:required")

    listed = cli("tools", "list", server)
    shown = cli("tools", "show", server, "fetch_page")
    as_json = json.loads(cli("tools", "show", server, "fetch_page", "--json").stdout)
    listed_json = json.loads(cli("tools", "list", server, "--json").stdout)

    assert listed.stdout.splitlines()[0].split() == ["NAME", "PARAMETERS", "UPDATED", "DESCRIPTION"]
    assert "fetch_page" in listed.stdout
    assert "Fetch a page." in listed.stdout
    assert "return r.body();" in shown.stdout
    assert "url" in shown.stdout
    assert as_json["code"] == CODE
    assert as_json["parameters"] == [
        {"name": "url", "type": "string", "description": "", "required": True}
    ]
    assert as_json["input_schema"]["required"] == ["url"]
    assert [t["name"] for t in listed_json] == ["fetch_page"]
    assert "code" not in listed_json[0]


def test_tools_list_of_a_server_without_tools_says_so(cli: Cli, server: str) -> None:
    result = cli("tools", "list", server)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "No tools on weather."


def test_tools_create_reads_parameters_with_defaults_from_a_json_file(
    cli: Cli, server: str, code_file: str, tmp_path: Path, ctx: AppContext
) -> None:
    params = tmp_path / "params.json"
    params.write_text(
        json.dumps(
            [
                {"name": "url", "type": "string", "required": True},
                {"name": "retries", "type": "integer", "description": "Tries", "default": 3},
            ]
        )
    )

    _create(cli, code_file, "--params-json", str(params))

    tool = ToolService(ctx.db, ctx.clock).get(SYSTEM, server, "fetch_page")
    assert tool.parameters == (
        Parameter("url", "string", "", required=True, default=ABSENT),
        Parameter("retries", "integer", "Tries", required=False, default=3),
    )


def test_tools_create_reads_the_code_from_stdin_given_a_dash(
    cli: Cli, server: str, ctx: AppContext
) -> None:
    result = cli(
        "tools",
        "create",
        server,
        "hello",
        "--description",
        "Hi.",
        "--code-file",
        "-",
        input="return 'hi';\n",
    )

    assert result.exit_code == 0, result.output
    assert ToolService(ctx.db, ctx.clock).get(SYSTEM, server, "hello").code == "return 'hi';\n"


def test_tools_update_changes_the_given_fields_renames_and_reports_what_changed(
    cli: Cli, server: str, code_file: str, ctx: AppContext
) -> None:
    _create(cli, code_file, "--param", "url:string:required")

    result = cli(
        "tools",
        "update",
        server,
        "fetch_page",
        "--name",
        "get_page",
        "--description",
        "Get a page.",
        "--clear-params",
    )

    assert result.exit_code == 0, result.output
    assert "Updated tool fetch_page (now get_page)" in result.stdout
    assert "name, description, parameters" in result.stdout
    tool = ToolService(ctx.db, ctx.clock).get(SYSTEM, server, "get_page")
    assert (tool.description, tool.parameters, tool.code) == ("Get a page.", (), CODE)


def test_tools_update_to_the_same_values_says_unchanged_and_writes_no_audit_row(
    cli: Cli, server: str, code_file: str, ctx: AppContext
) -> None:
    _create(cli, code_file)
    before = _audit_rows(ctx)

    result = cli("tools", "update", server, "fetch_page", "--code-file", code_file)

    assert result.exit_code == 0, result.output
    assert "unchanged" in result.stdout
    assert _audit_rows(ctx) == before


def test_tools_delete_asks_first_unless_yes_is_given(
    cli: Cli, server: str, code_file: str, ctx: AppContext, settings: Settings
) -> None:
    _create(cli, code_file)
    before = snapshot(settings)

    declined = cli("tools", "delete", server, "fetch_page", input="n\n")
    assert declined.exit_code == 1
    assert snapshot(settings) == before

    deleted = cli("tools", "delete", server, "fetch_page", "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert "Deleted tool fetch_page from weather." in deleted.stdout
    with pytest.raises(ToolNotFound):
        ToolService(ctx.db, ctx.clock).get(SYSTEM, server, "fetch_page")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (
            ["create", "weather", "FetchPage", "--description", "d", "--code-file", "{code}"],
            "invalid_tool_field",
        ),
        (
            ["create", "weather", "fetch_page", "--description", "d", "--code-file", "{code}"],
            "tool_name_taken",
        ),
        (
            [
                "create",
                "weather",
                "x",
                "--description",
                "d",
                "--code-file",
                "{code}",
                "--param",
                "q:str",
            ],
            "invalid_tool_field",
        ),
        (
            ["create", "weather", "x", "--description", " ", "--code-file", "{code}"],
            "invalid_tool_field",
        ),
        (
            ["create", "nope", "x", "--description", "d", "--code-file", "{code}"],
            "server_not_found",
        ),
        (["update", "weather", "nope", "--description", "d"], "tool_not_found"),
        (["show", "weather", "nope"], "tool_not_found"),
        (["delete", "weather", "nope", "--yes"], "tool_not_found"),
        (["list", "nope"], "server_not_found"),
    ],
)
def test_tool_rule_violations_print_their_error_code_and_change_nothing(
    cli: Cli, server: str, code_file: str, settings: Settings, args: list[str], code: str
) -> None:
    _create(cli, code_file)
    before = snapshot(settings)

    result = cli("tools", *(a.replace("{code}", code_file) for a in args))

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error[{code}]: ")
    assert "Traceback" not in result.output
    assert snapshot(settings) == before


@pytest.mark.parametrize(
    "extra",
    [
        ["--param", "justaname"],
        ["--param", "q:string:maybe"],
        ["--param", "q:string", "--params-json", "{params}"],
        ["--params-json", "{params}"],
    ],
)
def test_malformed_parameter_options_are_usage_errors_and_change_nothing(
    cli: Cli, server: str, code_file: str, settings: Settings, tmp_path: Path, extra: list[str]
) -> None:
    params = tmp_path / "params.json"
    params.write_text('[{"name": "q", "typ": "string"}]')
    before = snapshot(settings)

    result = cli(
        "tools",
        "create",
        server,
        "x",
        "--description",
        "d",
        "--code-file",
        code_file,
        *(e.replace("{params}", str(params)) for e in extra),
    )

    assert result.exit_code == 2
    assert "error[" not in result.output
    assert snapshot(settings) == before


def test_a_params_json_file_with_an_unknown_field_names_it(
    cli: Cli, server: str, code_file: str, tmp_path: Path
) -> None:
    params = tmp_path / "params.json"
    params.write_text('[{"name": "q", "typ": "string"}]')

    result = cli(
        "tools",
        "create",
        server,
        "x",
        "--description",
        "d",
        "--code-file",
        code_file,
        "--params-json",
        str(params),
    )

    assert result.exit_code == 2
    message = _unboxed(result.stderr)
    assert "parameters[0].typ: unknown field" in message
    assert "Did you mean 'type'?" in message


def test_tools_update_with_nothing_to_change_is_a_usage_error(
    cli: Cli, server: str, code_file: str
) -> None:
    _create(cli, code_file)

    result = cli("tools", "update", server, "fetch_page")

    assert result.exit_code == 2
    assert "nothing to change" in result.stderr
