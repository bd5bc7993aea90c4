"""The credential log filter: keys and tokens never reach a log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from toolkeep.crypto import tokens
from toolkeep.vault import logfilter
from toolkeep.vault.logfilter import CredentialFilter

API_KEY = tokens.mint("tk").plaintext
PAT = tokens.mint("tkpat").plaintext


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A child logger whose records propagate to a handler on a parent, as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    parent = logging.getLogger("vaulttest")
    parent.addHandler(handler)
    parent.setLevel(logging.DEBUG)
    yield logging.getLogger("vaulttest.child"), stream
    parent.removeHandler(handler)
    logfilter.uninstall()


def test_a_key_in_the_message_or_its_args_is_redacted(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = captured
    logfilter.install()
    log.info("presented %s for %s", API_KEY, "acme-weather")
    log.warning(f"token {PAT} refused")
    log.info("args as a mapping: %(key)s", {"key": API_KEY})
    out = stream.getvalue()
    assert API_KEY not in out
    assert PAT not in out
    assert API_KEY[20:40] not in out
    assert out.splitlines() == [
        "INFO vaulttest.child presented [REDACTED:api_key] for acme-weather",
        "WARNING vaulttest.child token [REDACTED:api_key] refused",
        "INFO vaulttest.child args as a mapping: [REDACTED:api_key]",
    ]


def test_a_key_in_an_exception_traceback_is_redacted(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = captured
    logfilter.install()
    try:
        raise ValueError(f"bad key {API_KEY}")
    except ValueError:
        log.exception("lookup failed")
    out = stream.getvalue()
    assert API_KEY not in out
    assert "ValueError: bad key [REDACTED:api_key]" in out
    assert "Traceback (most recent call last)" in out


def test_a_record_without_a_key_is_left_exactly_as_it_was() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s of %d", ("one", 2), None)
    assert CredentialFilter().filter(record) is True
    assert (record.msg, record.args) == ("%s of %d", ("one", 2))
    assert record.exc_text is None


def test_a_bad_format_string_is_left_for_the_handler_to_report() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("one",), None)
    assert CredentialFilter().filter(record) is True
    assert (record.msg, record.args) == ("%s %s", ("one",))


def test_the_filter_also_works_on_a_handler(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(CredentialFilter())
    try:
        logging.getLogger("vaulttest.handler").warning("key %s", API_KEY)
    finally:
        caplog.handler.removeFilter(caplog.handler.filters[-1])
    assert caplog.messages == ["key [REDACTED:api_key]"]


def test_installing_twice_keeps_one_filter_and_uninstall_restores_the_factory() -> None:
    original = logging.getLogRecordFactory()
    first = logfilter.install()
    try:
        assert logfilter.install() is first
        assert logging.getLogRecordFactory() is not original
    finally:
        logfilter.uninstall()
    assert logging.getLogRecordFactory() is original
