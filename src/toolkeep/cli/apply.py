"""``toolkeep apply -f server.yaml``: make a server and its tools match a file.

Idempotent: the file is validated whole, then compared with the database, and only what
differs is written (so a second run writes nothing, not even an audit row). The server comes
first, then the tools in file order, then (with ``prune: true``) the deletions. Each step is
its own transaction: a failure stops the run, and the steps printed before it stay applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import typer

from toolkeep.accounts.models import User
from toolkeep.api import presenters
from toolkeep.cli import manifest, output
from toolkeep.cli.manifest import Manifest, ServerSpec
from toolkeep.cli.runtime import OPERATOR, operate, owner_actor
from toolkeep.context import AppContext
from toolkeep.errors import Conflict, InvalidInput
from toolkeep.servers.errors import ServerNotFound
from toolkeep.servers.models import SecurityMode, Server, ServerChanges
from toolkeep.servers.service import ServerResult
from toolkeep.tools.errors import ToolLimitReached
from toolkeep.tools.models import MAX_TOOLS, Tool, ToolSpec

Action = Literal["created", "updated", "unchanged", "deleted"]
ACTIONS: tuple[Action, ...] = ("created", "updated", "unchanged", "deleted")


class OwnerRequired(InvalidInput):
    code = "owner_required"


class OwnerMismatch(Conflict):
    code = "owner_mismatch"


@dataclass(frozen=True, slots=True)
class Step:
    """One item of the file (or one tool to prune) and what applying it does."""

    kind: Literal["server", "tool"]
    name: str
    action: Action
    changed: tuple[str, ...] = ()
    spec: ToolSpec | None = None
    where: str = ""  # its path in the file, e.g. tools[1]

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}"

    def line(self, action: Action | None = None) -> str:
        done = action or self.action
        detail = f" ({', '.join(self.changed)})" if done == "updated" and self.changed else ""
        return f"{self.label} {done}{detail}"


@dataclass(frozen=True, slots=True)
class Plan:
    server: ServerSpec
    owner: User | None
    server_step: Step
    changes: ServerChanges
    tool_steps: tuple[Step, ...]
    mints_key: bool


@dataclass(slots=True)
class Progress:
    done: list[Action] = field(default_factory=list)
    server: ServerResult | None = None


def apply(
    cli: typer.Context,
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            "-f",
            help="The server file (YAML, see docs/apply.md); - for stdin.",
            dir_okay=False,
        ),
    ],
    owner: Annotated[
        str | None,
        typer.Option("--owner", help="Email of the owning user; required to create the server."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; write nothing.")
    ] = False,
) -> None:
    """Create or update a server and its tools from a file. Only what differs is written."""
    wanted = manifest.load(file)
    with operate(cli) as ctx:
        plan = make_plan(ctx, wanted, owner)
        if dry_run:
            _print_dry_run(plan)
            return
        _run(ctx, plan)


def make_plan(ctx: AppContext, wanted: Manifest, owner: str | None) -> Plan:
    """Compare the file with the database; raises before any write if it cannot be applied."""
    spec = wanted.server
    user = ctx.accounts.get_user(owner) if owner is not None else None
    server = _find_server(ctx, spec.subdomain)
    if server is None:
        if user is None:
            raise OwnerRequired(
                f"Server '{spec.subdomain}' does not exist yet; give --owner EMAIL to create it.",
                field="owner",
            )
        changes = ServerChanges()
        server_step = Step("server", spec.subdomain, "created")
        existing: dict[str, Tool] = {}
        mints = spec.security_mode is SecurityMode.API_KEY
    else:
        _check_owner(ctx, server, user)
        changes = _server_changes(server, spec)
        server_step = _server_step(server, changes)
        existing = {t.name: t for t in ctx.tools.list_tools(OPERATOR, spec.subdomain)}
        mints = changes.security_mode is SecurityMode.API_KEY and not _has_active_key(ctx, server)
    steps = [_tool_step(existing.get(t.name), t, f"tools[{i}]") for i, t in enumerate(wanted.tools)]
    listed = {t.name for t in wanted.tools}
    _check_room(spec.subdomain, len(listed | set(existing)))
    if wanted.prune:
        steps += [Step("tool", name, "deleted") for name in sorted(set(existing) - listed)]
    return Plan(spec, user, server_step, changes, tuple(steps), mints)


def _run(ctx: AppContext, plan: Plan) -> None:
    progress = Progress()
    try:
        for step in (plan.server_step, *plan.tool_steps):
            try:
                action = _apply_step(ctx, plan, step, progress)
            except Exception:
                where = f" ({step.where})" if step.where else ""
                before = "the items printed above were" if progress.done else "nothing was"
                typer.echo(
                    f"Stopped at {step.label}{where}: it and the items after it were not "
                    f"applied; {before}.",
                    err=True,
                )
                raise
            progress.done.append(action)
            typer.echo(step.line(action))
        counts = ", ".join(f"{progress.done.count(a)} {a}" for a in ACTIONS)
        typer.echo(f"{plan.server.subdomain}: {counts}.")
    finally:
        _print_server_news(ctx, plan, progress)


def _apply_step(ctx: AppContext, plan: Plan, step: Step, progress: Progress) -> Action:
    subdomain = plan.server.subdomain
    if step.action == "unchanged":
        return "unchanged"
    if step.kind == "server":
        progress.server = _apply_server(ctx, plan)
        return step.action
    if step.action == "deleted":
        ctx.tools.delete(OPERATOR, subdomain, step.name)
        return "deleted"
    assert step.spec is not None
    _, status = ctx.tools.put(OPERATOR, subdomain, step.spec)
    return status


def _apply_server(ctx: AppContext, plan: Plan) -> ServerResult:
    spec = plan.server
    if plan.server_step.action == "created":
        assert plan.owner is not None
        return ctx.servers.create(
            owner_actor(plan.owner),
            name=spec.name,
            subdomain=spec.subdomain,
            description=spec.description,
            security_mode=spec.security_mode,
        )
    return ctx.servers.update(OPERATOR, spec.subdomain, plan.changes)


def _print_server_news(ctx: AppContext, plan: Plan, progress: Progress) -> None:
    """The key minted by this run (even if a later step failed: it is shown only now), and the
    endpoints of a new server or of one whose mode changed. Reads nothing from the database."""
    result = progress.server
    if result is None:
        return
    minted = result.minted_key
    if minted is not None:
        typer.echo(f"\nAPI key '{minted.key.label}' (kid {minted.key.kid}):")
        output.show_once("key", minted.plaintext)
        typer.echo("Clients send it as 'Authorization: Bearer <key>'.")
    if plan.server_step.action == "created" or plan.changes.security_mode is not None:
        output.endpoints(presenters.server_out(ctx, result.server).endpoints)


def _print_dry_run(plan: Plan) -> None:
    for step in (plan.server_step, *plan.tool_steps):
        typer.echo(f"{step.line()} (dry run)")
    if plan.mints_key:
        typer.echo("An API key would be minted and shown once.")
    typer.echo("Dry run: nothing was changed.")


def _find_server(ctx: AppContext, subdomain: str) -> Server | None:
    try:
        return ctx.servers.get(OPERATOR, subdomain)
    except ServerNotFound:
        return None


def _check_owner(ctx: AppContext, server: Server, user: User | None) -> None:
    if user is None or server.owner_id == user.id:
        return
    current = ctx.accounts.emails({server.owner_id}).get(server.owner_id, "another user")
    raise OwnerMismatch(
        f"Server '{server.subdomain}' belongs to {current}, not {user.email}; check the "
        "subdomain, or leave out --owner to apply to it anyway.",
        field="owner",
    )


def _server_changes(server: Server, spec: ServerSpec) -> ServerChanges:
    return ServerChanges(
        name=spec.name if spec.name != server.name else None,
        description=spec.description if spec.description != server.description else None,
        security_mode=spec.security_mode
        if spec.security_mode is not server.security_mode
        else None,
    )


def _server_step(server: Server, changes: ServerChanges) -> Step:
    changed = [name for name in ("name", "description") if getattr(changes, name) is not None]
    if changes.security_mode is not None:
        changed.append(
            f"security_mode {server.security_mode.value} -> {changes.security_mode.value}"
        )
    action: Action = "updated" if changed else "unchanged"
    return Step("server", server.subdomain, action, tuple(changed))


def _tool_step(tool: Tool | None, spec: ToolSpec, where: str) -> Step:
    if tool is None:
        return Step("tool", spec.name, "created", spec=spec, where=where)
    changed = tuple(
        name
        for name in ("description", "parameters", "code")
        if getattr(tool, name) != getattr(spec, name)
    )
    action: Action = "updated" if changed else "unchanged"
    return Step("tool", spec.name, action, changed, spec, where)


def _has_active_key(ctx: AppContext, server: Server) -> bool:
    with ctx.db.read() as conn:
        return ctx.keys.has_active_key(conn, server)


def _check_room(subdomain: str, count: int) -> None:
    """Tools are created before any is pruned, so the old and new ones must fit together."""
    if count > MAX_TOOLS:
        raise ToolLimitReached(
            f"Applying would give server '{subdomain}' {count} tools at once (its current ones "
            f"plus the new ones in the file); the maximum is {MAX_TOOLS}. Delete some first."
        )
