"""The tool service: CRUD, renames, upserts, the audit trail and tenancy, on a real database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.support.clock import ManualClock
from tests.support.owners import owner
from tests.support.snapshot import snapshot
from tests.tools.conftest import weather_spec
from toolkeep.actors import Actor
from toolkeep.context import AppContext
from toolkeep.errors import ToolkeepError
from toolkeep.servers.errors import ServerNotFound
from toolkeep.tools.errors import InvalidToolField, ToolLimitReached, ToolNameTaken, ToolNotFound
from toolkeep.tools.models import Parameter, ToolChanges
from toolkeep.tools.service import ToolService

SUB = "acme-weather"


def events(ctx: AppContext, actor: Actor) -> list[tuple[str, dict[str, object]]]:
    trail = ctx.servers.audit_trail(actor, SUB)
    return [(e.event, e.details) for e in reversed(trail) if e.event.startswith("tool.")]


def test_a_created_tool_is_stored_whole_and_read_back(
    service: ToolService, alice: Actor, clock: ManualClock
) -> None:
    created = service.create(alice, SUB, weather_spec())
    assert created.name == "get_weather"
    assert created.parameters == weather_spec().parameters
    assert created.created_at == created.updated_at == clock.now
    assert service.get(alice, SUB, "get_weather") == created
    assert service.list_tools(alice, SUB) == [created]
    assert service.for_server(created.server_id) == [created]


def test_tools_are_listed_in_name_order(service: ToolService, alice: Actor) -> None:
    for name in ["zeta", "alpha_b", "alpha", "alpha_a", "b2", "b10"]:
        service.create(alice, SUB, weather_spec(name))
    names = [t.name for t in service.list_tools(alice, SUB)]
    assert names == ["alpha", "alpha_a", "alpha_b", "b10", "b2", "zeta"]


def test_creating_is_audited_without_the_code(
    ctx: AppContext, service: ToolService, alice: Actor
) -> None:
    service.create(alice, SUB, weather_spec(code="return 'secret-ish code'"))
    assert events(ctx, alice) == [
        ("tool.created", {"name": "get_weather", "parameters": ["city", "days"], "code_bytes": 24})
    ]
    assert "secret-ish" not in repr(ctx.servers.audit_trail(alice, SUB))


def test_a_name_can_be_used_once_per_server_but_again_on_another(
    service: ToolService, alice: Actor, bob: Actor
) -> None:
    service.create(alice, SUB, weather_spec())
    with pytest.raises(ToolNameTaken) as caught:
        service.create(alice, SUB, weather_spec())
    assert (caught.value.code, caught.value.status, caught.value.field) == (
        "tool_name_taken",
        409,
        "name",
    )
    assert service.create(bob, "bob-tools", weather_spec()).name == "get_weather"


def test_invalid_specs_change_nothing(ctx: AppContext, service: ToolService, alice: Actor) -> None:
    before = snapshot(ctx.db)
    bad = [
        weather_spec("Bad-Name"),
        weather_spec(description=""),
        weather_spec(code=""),
        weather_spec(parameters=(Parameter("a", "string"), Parameter("a", "string"))),
        weather_spec(parameters=(Parameter("a", "integer", default="1"),)),
    ]
    for spec in bad:
        with pytest.raises(InvalidToolField):
            service.create(alice, SUB, spec)
    assert snapshot(ctx.db) == before


def test_a_server_holds_a_bounded_number_of_tools(
    service: ToolService, alice: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("toolkeep.tools.rules.MAX_TOOLS", 2)
    service.create(alice, SUB, weather_spec("one"))
    service.create(alice, SUB, weather_spec("two"))
    with pytest.raises(ToolLimitReached):
        service.create(alice, SUB, weather_spec("three"))
    service.delete(alice, SUB, "one")
    service.create(alice, SUB, weather_spec("three"))


def test_updating_changes_only_the_given_fields_and_is_audited(
    ctx: AppContext, service: ToolService, alice: Actor, clock: ManualClock
) -> None:
    created = service.create(alice, SUB, weather_spec())
    clock.advance(timedelta(minutes=5))
    updated = service.update(alice, SUB, "get_weather", ToolChanges(code="return 2"))
    assert updated.code == "return 2"
    assert (updated.description, updated.parameters) == (created.description, created.parameters)
    assert (updated.created_at, updated.updated_at) == (created.created_at, clock.now)
    assert events(ctx, alice)[-1] == (
        "tool.updated",
        {"name": "get_weather", "fields": ["code"], "code_bytes": 8},
    )


def test_an_update_that_changes_nothing_writes_nothing(
    ctx: AppContext, service: ToolService, alice: Actor, clock: ManualClock
) -> None:
    created = service.create(alice, SUB, weather_spec())
    before = snapshot(ctx.db)
    clock.advance(timedelta(minutes=5))
    same = ToolChanges(name="get_weather", description=created.description, code=created.code)
    assert service.update(alice, SUB, "get_weather", same) == created
    assert service.update(alice, SUB, "get_weather", ToolChanges()) == created
    assert snapshot(ctx.db) == before


def test_renaming_moves_the_tool_and_frees_the_old_name(
    ctx: AppContext, service: ToolService, alice: Actor
) -> None:
    created = service.create(alice, SUB, weather_spec())
    renamed = service.update(alice, SUB, "get_weather", ToolChanges(name="forecast"))
    assert (renamed.id, renamed.name) == (created.id, "forecast")
    with pytest.raises(ToolNotFound) as caught:
        service.get(alice, SUB, "get_weather")
    assert (caught.value.code, caught.value.status) == ("tool_not_found", 404)
    assert events(ctx, alice)[-1] == (
        "tool.updated",
        {"name": "forecast", "fields": ["name"], "renamed_from": "get_weather"},
    )
    service.create(alice, SUB, weather_spec())


def test_renaming_onto_a_taken_name_is_a_conflict(service: ToolService, alice: Actor) -> None:
    service.create(alice, SUB, weather_spec("one"))
    service.create(alice, SUB, weather_spec("two"))
    with pytest.raises(ToolNameTaken):
        service.update(alice, SUB, "one", ToolChanges(name="two"))
    assert [t.name for t in service.list_tools(alice, SUB)] == ["one", "two"]


def test_invalid_changes_are_refused_before_anything_is_written(
    ctx: AppContext, service: ToolService, alice: Actor
) -> None:
    service.create(alice, SUB, weather_spec())
    before = snapshot(ctx.db)
    for changes in [
        ToolChanges(name="Nope"),
        ToolChanges(description=" "),
        ToolChanges(code=""),
        ToolChanges(parameters=(Parameter("x", "string", required=True, default="y"),)),
    ]:
        with pytest.raises(InvalidToolField):
            service.update(alice, SUB, "get_weather", changes)
    assert snapshot(ctx.db) == before


def test_deleting_removes_the_tool_and_is_audited(
    ctx: AppContext, service: ToolService, alice: Actor
) -> None:
    service.create(alice, SUB, weather_spec())
    service.delete(alice, SUB, "get_weather")
    assert service.list_tools(alice, SUB) == []
    assert events(ctx, alice)[-1] == ("tool.deleted", {"name": "get_weather"})
    with pytest.raises(ToolNotFound):
        service.delete(alice, SUB, "get_weather")


def test_upsert_creates_updates_or_does_nothing_and_says_which(
    ctx: AppContext, service: ToolService, alice: Actor
) -> None:
    created, changed = service.upsert(alice, SUB, weather_spec())
    assert changed is True
    again, changed = service.upsert(alice, SUB, weather_spec())
    assert (again, changed) == (created, False)
    updated, changed = service.upsert(alice, SUB, weather_spec(parameters=()))
    assert changed is True
    assert (updated.id, updated.parameters) == (created.id, ())
    assert [e for e, _ in events(ctx, alice)] == ["tool.created", "tool.updated"]
    assert service.put(alice, SUB, weather_spec(parameters=()))[1] == "unchanged"
    assert service.put(alice, SUB, weather_spec("other"))[1] == "created"


def test_another_owners_server_is_not_found_for_every_operation(
    ctx: AppContext, service: ToolService, alice: Actor, bob: Actor
) -> None:
    service.create(alice, SUB, weather_spec())
    before = snapshot(ctx.db)
    attempts: list[Callable[[], object]] = [
        lambda: service.create(bob, SUB, weather_spec("mine")),
        lambda: service.list_tools(bob, SUB),
        lambda: service.get(bob, SUB, "get_weather"),
        lambda: service.update(bob, SUB, "get_weather", ToolChanges(code="return 0")),
        lambda: service.delete(bob, SUB, "get_weather"),
        lambda: service.upsert(bob, SUB, weather_spec()),
    ]
    for attempt in attempts:
        with pytest.raises(ServerNotFound) as caught:
            attempt()
        assert caught.value.status == 404
        assert caught.value.message == f"No server with subdomain '{SUB}' is visible to you."
    assert snapshot(ctx.db) == before


def test_an_admin_can_manage_any_servers_tools(
    ctx: AppContext, service: ToolService, alice: Actor
) -> None:
    root = owner(ctx, "root@example.com", admin=True)
    service.create(root, SUB, weather_spec())
    assert [t.name for t in service.list_tools(alice, SUB)] == ["get_weather"]
    assert events(ctx, alice)[0][0] == "tool.created"


def test_deleting_the_server_deletes_its_tools(
    ctx: AppContext, service: ToolService, alice: Actor
) -> None:
    server_id = service.create(alice, SUB, weather_spec()).server_id
    ctx.servers.delete(alice, SUB)
    assert service.for_server(server_id) == []


def test_every_tool_error_is_a_toolkeep_error_with_a_stable_code() -> None:
    for error, code in [
        (ToolNotFound("x"), "tool_not_found"),
        (ToolNameTaken("x"), "tool_name_taken"),
        (ToolLimitReached("x"), "tool_limit_reached"),
        (InvalidToolField("x", field="name"), "invalid_tool_field"),
    ]:
        assert isinstance(error, ToolkeepError)
        assert error.to_dict()["error_code"] == code
