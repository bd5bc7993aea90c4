"""Key files: generated with mode 0600 on first start, reused afterwards, fail loudly."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from toolkeep.crypto.keyfiles import load_key_material
from toolkeep.errors import ConfigurationError
from toolkeep.settings import Settings

KID = "0123456789ABCDEF"
SECRET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_first_start_generates_both_files_with_mode_0600(settings: Settings) -> None:
    load_key_material(settings)

    for path in (settings.resolved_pepper_file, settings.resolved_encryption_key_file):
        assert path.is_file()
        assert _mode(path) == 0o600


def test_the_first_start_logs_where_it_generated_each_file(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="toolkeep"):
        material = load_key_material(settings)

    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("new pepper" in m and str(settings.resolved_pepper_file) in m for m in messages), (
        messages
    )
    assert any(
        "new encryption key" in m and str(settings.resolved_encryption_key_file) in m
        for m in messages
    ), messages
    assert all("Back it up" in m for m in messages)
    # The log names the file; it never contains the key material itself.
    pepper_line = settings.resolved_pepper_file.read_text().splitlines()[-1]
    assert not any(pepper_line.split(":", 1)[1] in m for m in caplog.messages)
    assert material.peppers.current == 1


def test_a_second_start_reuses_the_files_and_logs_nothing(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    first = load_key_material(settings)
    pepper_text = settings.resolved_pepper_file.read_text()
    key_text = settings.resolved_encryption_key_file.read_text()
    sealed = first.sealer.seal("value", "ctx")
    caplog.clear()

    with caplog.at_level(logging.DEBUG, logger="toolkeep"):
        second = load_key_material(settings)

    assert caplog.records == []
    assert settings.resolved_pepper_file.read_text() == pepper_text
    assert settings.resolved_encryption_key_file.read_text() == key_text
    assert second.peppers.digest(1, KID, SECRET) == first.peppers.digest(1, KID, SECRET)
    assert second.sealer.open(sealed, "ctx") == "value"


def test_explicit_file_paths_are_used_and_their_directories_created(tmp_path: Path) -> None:
    pepper = tmp_path / "secrets" / "a" / "pepper"
    key = tmp_path / "secrets" / "b" / "aes"
    settings = Settings(
        data_dir=tmp_path / "data", pepper_file=pepper, encryption_key_file=key, _env_file=None
    )

    load_key_material(settings)

    assert pepper.is_file()
    assert key.is_file()
    assert not (tmp_path / "data" / "pepper.key").exists()


def test_an_existing_pepper_file_with_several_versions_is_loaded_as_is(
    settings: Settings,
) -> None:
    path = settings.resolved_pepper_file
    path.parent.mkdir(parents=True)
    path.write_text(
        "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
        "2:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=\n"
    )

    material = load_key_material(settings)

    assert material.peppers.current == 2
    assert settings.resolved_encryption_key_file.is_file()


def test_an_unreadable_pepper_file_refuses_to_start_with_a_clear_message(
    settings: Settings,
) -> None:
    # Tests may run as root, for whom chmod 000 changes nothing: a directory is unreadable
    # as a file for everyone.
    settings.resolved_pepper_file.mkdir(parents=True)

    with pytest.raises(ConfigurationError) as caught:
        load_key_material(settings)

    message = caught.value.message
    assert f"Cannot read the pepper file {settings.resolved_pepper_file}" in message
    assert "Is a directory" in message
    assert "Refusing to start" in message


def test_an_unreadable_encryption_key_file_refuses_to_start_with_a_clear_message(
    settings: Settings,
) -> None:
    settings.resolved_encryption_key_file.mkdir(parents=True)

    with pytest.raises(ConfigurationError, match="Cannot read the encryption key file"):
        load_key_material(settings)


def test_a_corrupt_pepper_file_refuses_to_start_and_is_left_alone(settings: Settings) -> None:
    path = settings.resolved_pepper_file
    path.parent.mkdir(parents=True)
    path.write_text("garbage\n")

    with pytest.raises(ConfigurationError, match="not '<version>:<base64>'"):
        load_key_material(settings)

    assert path.read_text() == "garbage\n"


def test_an_empty_encryption_key_file_refuses_to_start(settings: Settings) -> None:
    path = settings.resolved_encryption_key_file
    path.parent.mkdir(parents=True)
    path.write_text("")

    with pytest.raises(ConfigurationError, match="must hold 32 bytes"):
        load_key_material(settings)
