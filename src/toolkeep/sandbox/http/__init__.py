"""``sdk.http``: HTTP requests from untrusted tool code, performed by the trusted parent.

Entry point: :func:`perform` (``HttpRequest`` + ``HttpPolicy`` → ``HttpResponse`` or
``HttpError``). The SSRF guard lives in :mod:`.addresses` (what may be reached) and
:mod:`.transport` (connect only to the checked, pinned address); :mod:`.client` holds the
request hygiene, the redirect loop, the deadline and the body cap.
"""

from toolkeep.sandbox.http.addresses import (
    AddressClass,
    IPAddress,
    IPNetwork,
    Resolver,
    classify,
    parse_networks,
    system_resolver,
)
from toolkeep.sandbox.http.client import HttpRequest, HttpResponse, perform
from toolkeep.sandbox.http.errors import HttpError, HttpErrorCode
from toolkeep.sandbox.http.policy import DEFAULT_MAX_BODY_BYTES, DEFAULT_METHODS, HttpPolicy

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_METHODS",
    "AddressClass",
    "HttpError",
    "HttpErrorCode",
    "HttpPolicy",
    "HttpRequest",
    "HttpResponse",
    "IPAddress",
    "IPNetwork",
    "Resolver",
    "classify",
    "parse_networks",
    "perform",
    "system_resolver",
]
