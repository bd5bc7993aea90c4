"""``perform``: one ``sdk.http`` call, from the tool's request to a fully read response.

Request hygiene (documented for tool authors):

- Only ``http``/``https`` URLs, absolute, without ``user:pass@`` (send an ``Authorization``
  header instead), and with a method from the policy's allow-list (case-insensitive).
- Header names must be HTTP tokens and values Latin-1 without CR, LF or NUL; anything else is
  a ``request_invalid`` error, not a silent fix.
- Headers the platform owns are silently ignored when a tool sets them: ``Host`` (always the
  URL's host, so a tool cannot reach a virtual host other than the one it named),
  ``Content-Length``, ``Transfer-Encoding`` and the other hop-by-hop headers (``Connection``,
  ``Keep-Alive``, ``Proxy-Connection``, ``TE``, ``Trailer``, ``Upgrade``) and ``Expect``.
- ``User-Agent`` defaults to the policy's; ``Accept-Encoding`` defaults to ``gzip, deflate``
  (bodies are decoded; a coding the tool asked for itself and we cannot decode is returned raw).

Redirects (301, 302, 303, 307, 308 with a ``Location``) are followed here, at most
``max_redirects`` times, each hop checked like the first request (scheme, address, a fresh
resolution). 303 becomes GET (HEAD stays HEAD), 301/302 turn POST into GET, 307/308 keep
method and body; a method change drops the body and its ``Content-*`` headers. Once a hop
leaves the original origin, ``Authorization``, ``Cookie`` and ``Proxy-Authorization`` are
dropped for the rest of the chain. Other 3xx answers are returned as they are.

One deadline (``timeout_s``) covers everything. The body is read into memory and capped at
``max_body_bytes`` after decoding (and on the wire): exceeding it is an error, never a
silently truncated body. ``HttpResponse.headers`` are the final response's headers as received
(including ``Content-Encoding``, although ``body`` is decoded).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import anyio
import httpx

from toolkeep.sandbox.http.addresses import parse_ip_literal
from toolkeep.sandbox.http.decoding import ACCEPT_ENCODING, BodyDecoder
from toolkeep.sandbox.http.errors import HttpError, HttpErrorCode
from toolkeep.sandbox.http.policy import HttpPolicy
from toolkeep.sandbox.http.transport import GuardedTransport

log = logging.getLogger("toolkeep.sandbox.http")

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
IGNORED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "http2-settings",
    }
)
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
BODY_HEADERS = frozenset(
    {"content-type", "content-encoding", "content-language", "content-location"}
)
MAX_HEADERS = 100

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HOSTNAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
_SCHEMES = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """What tool code passed to ``sdk.http``."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | bytes | None = None

    def __repr__(self) -> str:  # headers and body may carry secrets from env
        return f"HttpRequest({self.method!r}, <url>, {len(self.headers)} headers)"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """The final response (after redirects): decoded body, headers in order as received."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    url: str  # the final URL, after redirects

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitive."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def __repr__(self) -> str:
        return f"HttpResponse({self.status}, {len(self.body)} bytes)"


@dataclass(slots=True)
class _Hop:
    method: str
    url: httpx.URL
    headers: list[tuple[str, bytes]]
    body: bytes | None


async def perform(request: HttpRequest, policy: HttpPolicy) -> HttpResponse:
    """Run one ``sdk.http`` request under ``policy``; raises :class:`HttpError`, nothing else
    (apart from cancellation by the caller, which propagates)."""
    hop = _Hop(
        method=_check_method(request.method, policy),
        url=parse_url(request.url),
        headers=_prepare_headers(request.headers, policy),
        body=_encode_body(request.body),
    )
    try:
        async with GuardedTransport(policy) as transport:
            with anyio.fail_after(policy.timeout_s):
                return await _follow(transport, hop, policy)
    except TimeoutError:
        raise HttpError(
            HttpErrorCode.TIMEOUT,
            f"The request did not complete within {policy.timeout_s:g} s "
            "(the limit covers the whole call, redirects included)",
        ) from None
    except HttpError:
        raise
    except Exception:
        log.exception("sdk.http failed unexpectedly")
        raise HttpError(HttpErrorCode.REQUEST_FAILED, "The request failed unexpectedly") from None


async def _follow(transport: GuardedTransport, hop: _Hop, policy: HttpPolicy) -> HttpResponse:
    origin = _origin(hop.url)
    redirects = 0
    while True:
        try:
            response = await transport.handle_async_request(
                httpx.Request(
                    hop.method,
                    hop.url,
                    headers=[(name.encode("ascii"), value) for name, value in hop.headers],
                    content=hop.body,
                )
            )
        except HttpError as exc:
            if not redirects:
                raise
            where = f"after redirect {redirects}, to {hop.url.host}"
            raise HttpError(exc.code, f"{exc.message} ({where})") from None
        try:
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                body = await _read_body(response, policy, hop.method)
                return HttpResponse(
                    status=response.status_code,
                    headers=[
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
                    ],
                    body=body,
                    url=str(hop.url),
                )
            if redirects >= policy.max_redirects:
                raise HttpError(
                    HttpErrorCode.TOO_MANY_REDIRECTS,
                    f"Stopped after {policy.max_redirects} redirects (the limit); "
                    "the server kept redirecting",
                )
            hop = _redirected(hop, response.status_code, location, origin)
            redirects += 1
        finally:
            await response.aclose()


def _redirected(hop: _Hop, status: int, location: str, origin: tuple[str, str, int]) -> _Hop:
    try:
        target = hop.url.join(location)
    except httpx.InvalidURL:
        raise HttpError(
            HttpErrorCode.URL_INVALID, "The server redirected to an invalid URL"
        ) from None
    url = parse_url(str(target), redirect=True)
    method, body, headers = hop.method, hop.body, hop.headers
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
        headers = [(k, v) for k, v in headers if k.lower() not in BODY_HEADERS]
    if _origin(url) != origin:
        headers = [(k, v) for k, v in headers if k.lower() not in CREDENTIAL_HEADERS]
    return _Hop(method=method, url=url, headers=headers, body=body)


async def _read_body(response: httpx.Response, policy: HttpPolicy, method: str) -> bytes:
    limit = policy.max_body_bytes
    if method == "HEAD":
        return b""
    decoder = BodyDecoder(response.headers.get("content-encoding"))
    declared = response.headers.get("content-length", "")
    if decoder.identity and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    parts: list[bytes] = []
    wire = decoded = 0
    async for chunk in response.aiter_raw():
        wire += len(chunk)
        if wire > limit:
            raise _too_large(limit)
        for piece in decoder.feed(chunk):
            decoded += len(piece)
            if decoded > limit:
                raise _too_large(limit)
            parts.append(piece)
    for piece in decoder.finish():
        decoded += len(piece)
        if decoded > limit:
            raise _too_large(limit)
        parts.append(piece)
    return b"".join(parts)


def _too_large(limit: int) -> HttpError:
    size = f"{limit / 1024 / 1024:g} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return HttpError(
        HttpErrorCode.RESPONSE_TOO_LARGE,
        f"The response body is larger than {size} (after decompression); "
        "ask the API for less data (pagination, filters)",
    )


def parse_url(raw: str, *, redirect: bool = False) -> httpx.URL:
    """Parse and check a URL the way the transport will use it."""
    what = "The redirect target" if redirect else "The URL"
    if not isinstance(raw, str) or not raw.strip():
        raise HttpError(HttpErrorCode.URL_INVALID, f"{what} must be a non-empty string")
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise HttpError(HttpErrorCode.URL_INVALID, f"{what} is invalid: {exc}") from None
    if not url.scheme:
        raise HttpError(
            HttpErrorCode.URL_INVALID, f"{what} must be absolute, e.g. https://api.example.com/v1"
        )
    if url.scheme not in _SCHEMES:
        raise HttpError(
            HttpErrorCode.SCHEME_NOT_ALLOWED,
            f"{what} uses '{url.scheme}:'; only http and https are allowed",
        )
    if url.userinfo:
        raise HttpError(
            HttpErrorCode.URL_INVALID,
            f"{what} contains credentials (user:pass@); send an Authorization header instead",
        )
    _check_host(url, what)
    return url


def _check_host(url: httpx.URL, what: str) -> None:
    host = url.raw_host.decode("ascii", "replace")
    if not host:
        raise HttpError(HttpErrorCode.URL_INVALID, f"{what} has no host")
    if url.port is not None and not 0 < url.port < 65536:
        raise HttpError(HttpErrorCode.URL_INVALID, f"{what} has an invalid port")
    if parse_ip_literal(host) is None and (len(host) > 253 or not _HOSTNAME.fullmatch(host)):
        raise HttpError(HttpErrorCode.URL_INVALID, f"{what} has an invalid host name")


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    return (url.scheme, url.raw_host.decode("ascii").lower(), url.port or _SCHEMES[url.scheme])


def _check_method(method: str, policy: HttpPolicy) -> str:
    upper = method.upper() if isinstance(method, str) else ""
    if not _TOKEN.fullmatch(upper):
        raise HttpError(HttpErrorCode.METHOD_NOT_ALLOWED, "The method must be a word like GET")
    if upper not in policy.allowed_methods:
        allowed = ", ".join(sorted(policy.allowed_methods))
        raise HttpError(
            HttpErrorCode.METHOD_NOT_ALLOWED, f"Method {upper} is not allowed (allowed: {allowed})"
        )
    return upper


def _prepare_headers(headers: Mapping[str, str], policy: HttpPolicy) -> list[tuple[str, bytes]]:
    if not isinstance(headers, Mapping):
        raise HttpError(HttpErrorCode.REQUEST_INVALID, "headers must be an object of strings")
    if len(headers) > MAX_HEADERS:
        raise HttpError(HttpErrorCode.REQUEST_INVALID, f"At most {MAX_HEADERS} headers are allowed")
    prepared: list[tuple[str, bytes]] = []
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise HttpError(HttpErrorCode.REQUEST_INVALID, f"Invalid header name {name!r}"[:120])
        if not isinstance(value, str):
            raise HttpError(HttpErrorCode.REQUEST_INVALID, f"Header {name} must be a string")
        if any(c in value for c in "\r\n\0"):
            raise HttpError(
                HttpErrorCode.REQUEST_INVALID, f"Header {name} contains a line break or NUL"
            )
        try:
            encoded = value.strip(" \t").encode("latin-1")
        except UnicodeEncodeError:
            raise HttpError(
                HttpErrorCode.REQUEST_INVALID,
                f"Header {name} has characters outside Latin-1; percent-encode or base64 it",
            ) from None
        if name.lower() not in IGNORED_HEADERS:
            prepared.append((name, encoded))
    present = {name.lower() for name, _ in prepared}
    if "user-agent" not in present:
        prepared.append(("User-Agent", policy.user_agent.encode("latin-1")))
    if "accept-encoding" not in present:
        prepared.append(("Accept-Encoding", ACCEPT_ENCODING.encode("ascii")))
    if "accept" not in present:
        prepared.append(("Accept", b"*/*"))
    return prepared


def _encode_body(body: str | bytes | None) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise HttpError(HttpErrorCode.REQUEST_INVALID, "body must be a string (or bytes)")
