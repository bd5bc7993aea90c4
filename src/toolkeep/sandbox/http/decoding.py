"""Content-Encoding decoding with bounded output, so a decompression bomb cannot blow up memory.

``httpx``'s own decoders inflate a whole network chunk at once (64 KiB of gzip can become
~64 MiB); here every ``decompress`` call is capped at :data:`PIECE` bytes and the caller stops
pulling as soon as its byte budget is exceeded.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from toolkeep.sandbox.http.errors import HttpError, HttpErrorCode

PIECE = 64 * 1024
MAX_ENCODINGS = 3
ACCEPT_ENCODING = "gzip, deflate"


class _Inflater:
    """One gzip (several members allowed) or deflate (zlib-wrapped or raw) stream."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._started = False
        self._done = False
        self._inflater = self._new(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)

    @staticmethod
    def _new(wbits: int) -> zlib._Decompress:
        return zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and data:
            self._started = True
            if not self._gzip and not _is_zlib_header(data):
                self._inflater = self._new(-zlib.MAX_WBITS)  # "deflate" sent raw, not zlib
        while not self._done:
            try:
                out = self._inflater.decompress(data, PIECE)
            except zlib.error:
                raise _corrupt() from None
            data = self._inflater.unconsumed_tail
            if out:
                yield out
            if self._inflater.eof:
                data = self._inflater.unused_data.lstrip(b"\0")
                if not self._gzip or data[:2] not in (b"", b"\x1f\x8b"):
                    self._done = True  # trailing garbage is ignored
                    return
                self._inflater = self._new(zlib.MAX_WBITS | 16)  # another gzip member
                if not data:
                    return
            elif not data and len(out) < PIECE:
                return  # needs more input (with a full piece, loop again to drain)

    def finish(self) -> Iterator[bytes]:
        return self.feed(b"")


def _is_zlib_header(data: bytes) -> bool:
    return len(data) < 2 or (data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0)


def _corrupt() -> HttpError:
    return HttpError(HttpErrorCode.PROTOCOL_ERROR, "The response body is not valid gzip/deflate")


class BodyDecoder:
    """Decodes a body sent with ``Content-Encoding``; unknown codings pass through untouched."""

    def __init__(self, content_encoding: str | None) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > MAX_ENCODINGS:
            raise HttpError(
                HttpErrorCode.PROTOCOL_ERROR, "The response uses too many content encodings"
            )
        if all(c in ("gzip", "x-gzip", "deflate") for c in codings):
            # Applied in order, so undone in reverse.
            self._stages = [_Inflater(c) for c in reversed(codings)]
        else:
            self._stages = []  # e.g. br or zstd the tool asked for itself: raw bytes

    @property
    def identity(self) -> bool:
        return not self._stages

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of at most :data:`PIECE` bytes; stop iterating at any time."""
        return self._through(0, iter((data,)))

    def finish(self) -> Iterator[bytes]:
        for index, stage in enumerate(self._stages):
            yield from self._through(index + 1, stage.finish())

    def _through(self, index: int, pieces: Iterator[bytes]) -> Iterator[bytes]:
        if index == len(self._stages):
            yield from pieces
            return
        stage = self._stages[index]
        for piece in pieces:
            yield from self._through(index + 1, stage.feed(piece))
