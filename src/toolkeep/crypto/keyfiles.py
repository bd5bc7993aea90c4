"""Load the pepper and encryption key files, generating them on first start."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from toolkeep.crypto.peppers import Peppers
from toolkeep.crypto.sealing import Sealer
from toolkeep.errors import ConfigurationError
from toolkeep.settings import Settings

log = logging.getLogger("toolkeep.keyfiles")


@dataclass(frozen=True)
class KeyMaterial:
    peppers: Peppers
    sealer: Sealer


def load_key_material(settings: Settings) -> KeyMaterial:
    shared = not settings.resolved_database_url.startswith("sqlite")
    pepper_text = _read_or_create(
        settings.resolved_pepper_file, Peppers.generate_text, "pepper", shared
    )
    key_text = _read_or_create(
        settings.resolved_encryption_key_file, Sealer.generate_text, "encryption key", shared
    )
    return KeyMaterial(peppers=Peppers.parse(pepper_text), sealer=Sealer.parse(key_text))


def _read_or_create(path: Path, generate: Callable[[], str], what: str, shared: bool) -> str:
    if not path.exists():
        _create(path, generate())
        log.warning("Generated a new %s at %s (mode 0600). Back it up.", what, path)
        if shared:  # several replicas may share this database: they must share the file too
            log.warning(
                "The database is shared: start every other replica with this same %s file "
                "(TOOLKEEP_%s_FILE), or keys and secrets made here will not open there.",
                what, "PEPPER" if what == "pepper" else "ENCRYPTION_KEY",
            )  # fmt: skip
    try:
        return path.read_text()
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the {what} file {path}: {exc.strerror}. Refusing to start."
        ) from None


def _create(path: Path, text: str) -> None:
    """Write a temp file, then link it into place: readers never see a partial file, and
    when two processes start at once the first link wins and the other reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        with contextlib.suppress(FileExistsError):  # another process won; read theirs
            os.link(temp, path)
    finally:
        os.unlink(temp)
