"""Load the pepper and encryption key files, generating them on first start."""

from __future__ import annotations

import logging
import os
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
    pepper_text = _read_or_create(settings.resolved_pepper_file, Peppers.generate_text, "pepper")
    key_text = _read_or_create(
        settings.resolved_encryption_key_file, Sealer.generate_text, "encryption key"
    )
    return KeyMaterial(peppers=Peppers.parse(pepper_text), sealer=Sealer.parse(key_text))


def _read_or_create(path: Path, generate: Callable[[], str], what: str) -> str:
    if not path.exists():
        _create(path, generate())
        log.warning("Generated a new %s at %s (mode 0600). Back it up.", what, path)
    try:
        return path.read_text()
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read the {what} file {path}: {exc.strerror}. Refusing to start."
        ) from None


def _create(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; read theirs
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
