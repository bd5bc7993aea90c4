"""Printing: aligned tables, JSON, timestamps, and the one-time display of a secret."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import BaseModel

NEVER = "-"
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def when(moment: datetime | None, empty: str = NEVER) -> str:
    """A timestamp in UTC to the minute, or ``empty``."""
    if moment is None:
        return empty
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> None:
    """An aligned plain-text table (stable for scripts and tests), or ``empty`` if no rows."""
    if not rows:
        typer.echo(empty)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def details(pairs: Sequence[tuple[str, str]]) -> None:
    """``label: value`` lines, aligned."""
    width = max(len(label) for label, _ in pairs) + 1
    for label, value in pairs:
        typer.echo(f"{label + ':':<{width}} {value}")


def emit_json(data: object) -> None:
    typer.echo(json.dumps(_plain(data), indent=2, sort_keys=False))


def _plain(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list | tuple):
        return [_plain(item) for item in data]
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, datetime):
        return data.isoformat()
    return data


def show_once(what: str, plaintext: str) -> None:
    """The only place a key or token is ever printed."""
    typer.echo("")
    typer.echo(f"    {plaintext}")
    typer.echo("")
    typer.secho(
        f"Copy this {what} now: it will not be shown again. Toolkeep keeps only a digest of it.",
        fg=typer.colors.YELLOW,
    )


def endpoints(urls: Sequence[str]) -> None:
    typer.echo("Endpoints:")
    for url in urls:
        typer.echo(f"  {url}")
