"""Keep Toolkeep credentials out of every log line, whichever logger or handler writes it.

``CredentialFilter`` rewrites a record whose message, arguments, exception or stack text
holds an API key (``tk_…``) or a personal access token (``tkpat_…``), replacing it with
``[REDACTED:api_key]``. A record without one is left exactly as it was.

Where to attach it matters: a filter on a *logger* sees only records logged on that very
logger, not those propagated from its children (``toolkeep.api`` → root). ``install()``
therefore applies it where every record passes, the log-record factory, so it covers every
logger and every handler, including ones configured later (uvicorn's) and Python's
last-resort handler. It can also be added to a handler, or named in a ``dictConfig``.

Server secret values are not known here; the tool runtime redacts those with a
``Redactor`` built from the server's ``env`` before anything reaches a log.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from toolkeep.vault.redaction import ALWAYS, Redactor

RecordFactory = Callable[..., logging.LogRecord]


class CredentialFilter(logging.Filter):
    """Redacts credentials in place; never drops a record."""

    def __init__(self, redactor: Redactor = ALWAYS) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self.redactor.redact
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as usual
            message = None
        if message is not None:
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            clean = redact(text)
            if clean != text:
                record.exc_text = clean  # formatters use it instead of the traceback
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_installed: tuple[CredentialFilter, RecordFactory] | None = None


def install(redactor: Redactor = ALWAYS) -> CredentialFilter:
    """Apply a ``CredentialFilter`` to every log record created from now on (idempotent)."""
    global _installed
    if _installed is not None:
        return _installed[0]
    credential_filter = CredentialFilter(redactor)
    make_record = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        credential_filter.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = (credential_filter, make_record)
    return credential_filter


def uninstall() -> None:
    """Restore the record factory ``install`` replaced (for tests)."""
    global _installed
    if _installed is not None:
        logging.setLogRecordFactory(_installed[1])
        _installed = None
