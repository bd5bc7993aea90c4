"""Redirects are followed by us, hop by hop: limits, method rewriting, credential stripping."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.sandbox.http.conftest import local_policy
from tests.sandbox.http.fakes import FakeServer
from tests.sandbox.http.helpers import call, refused
from toolkeep.sandbox.http import HttpErrorCode

pytestmark = pytest.mark.anyio

CREDENTIALS = {
    "Authorization": "Bearer secret-token",
    "Cookie": "session=abc",
    "Proxy-Authorization": "Basic eDp5",
}


def redirect(server: FakeServer, status: int, location: str) -> str:
    return server.url(f"/status/{status}?location={quote(location, safe='')}")


async def test_a_chain_of_five_redirects_is_followed_to_the_end(api_server: FakeServer) -> None:
    response = await call(api_server.url("/chain/5"), local_policy())

    assert response.status == 200
    assert response.body == b"done"
    assert response.url == api_server.url("/chain/0")
    assert [s.path for s in api_server.requests] == [f"/chain/{n}" for n in range(5, -1, -1)]


async def test_a_sixth_redirect_is_too_many(api_server: FakeServer) -> None:
    error = await refused(api_server.url("/chain/6"), local_policy())

    assert error.code == HttpErrorCode.TOO_MANY_REDIRECTS
    assert "5 redirects" in error.message
    assert len(api_server.requests) == 6  # the request and five followed hops, no seventh


async def test_with_max_redirects_zero_a_redirect_is_an_error(api_server: FakeServer) -> None:
    error = await refused(api_server.url("/chain/1"), local_policy(max_redirects=0))

    assert error.code == HttpErrorCode.TOO_MANY_REDIRECTS
    assert len(api_server.requests) == 1


@pytest.mark.parametrize(
    ("status", "method", "expected_method", "body_kept"),
    [
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (303, "HEAD", "HEAD", True),  # fetch spec: 303 rewrites all but GET and HEAD
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (302, "PUT", "PUT", True),
        (301, "DELETE", "DELETE", True),
        (307, "POST", "POST", True),
        (308, "POST", "POST", True),
        (307, "PATCH", "PATCH", True),
    ],
)
async def test_the_method_and_body_after_a_redirect_follow_the_browsers(
    status: int, method: str, expected_method: str, body_kept: bool, api_server: FakeServer
) -> None:
    await call(
        redirect(api_server, status, "/echo"),
        local_policy(),
        method=method,
        headers={"Content-Type": "application/json"},
        body='{"a": 1}',
    )

    first, second = api_server.requests
    assert first.method == method
    assert second.method == expected_method
    assert second.path == "/echo"
    if body_kept:
        assert second.body == b'{"a": 1}'
        assert second.header("content-type") == "application/json"
    else:
        assert second.body == b""
        assert second.header("content-type") is None


async def test_a_cross_origin_redirect_drops_the_credential_headers(
    api_server: FakeServer, other_server: FakeServer
) -> None:
    response = await call(
        redirect(api_server, 302, other_server.url("/echo")),
        local_policy(),
        headers={**CREDENTIALS, "X-Trace": "t-1"},
    )

    assert response.status == 200
    (first,) = api_server.requests
    (second,) = other_server.requests
    for name in CREDENTIALS:
        assert first.header(name) == CREDENTIALS[name]
        assert second.header(name) is None
    assert second.header("x-trace") == "t-1"
    assert second.header("host") == other_server.netloc


async def test_a_same_origin_redirect_keeps_the_credential_headers(
    api_server: FakeServer,
) -> None:
    await call(redirect(api_server, 307, "/echo"), local_policy(), headers=CREDENTIALS)

    second = api_server.requests[1]
    for name, value in CREDENTIALS.items():
        assert second.header(name) == value


async def test_credentials_stay_dropped_when_the_chain_comes_back_to_the_first_origin(
    api_server: FakeServer, other_server: FakeServer
) -> None:
    back_home = api_server.url("/echo")
    via_other = redirect(other_server, 302, back_home)

    await call(redirect(api_server, 302, via_other), local_policy(), headers=CREDENTIALS)

    last = api_server.requests[-1]
    assert last.path == "/echo"
    assert last.header("authorization") is None
    assert last.header("cookie") is None


async def test_a_redirect_to_the_same_host_on_another_port_is_cross_origin(
    api_server: FakeServer, other_server: FakeServer
) -> None:
    assert api_server.host == other_server.host
    assert api_server.port != other_server.port

    await call(
        redirect(api_server, 308, other_server.url("/echo")), local_policy(), headers=CREDENTIALS
    )

    assert other_server.requests[0].header("authorization") is None


@pytest.mark.parametrize(
    ("location", "code"),
    [
        ("file:///etc/passwd", HttpErrorCode.SCHEME_NOT_ALLOWED),
        ("gopher://example.com/", HttpErrorCode.SCHEME_NOT_ALLOWED),
        ("http://user:pw@example.com/", HttpErrorCode.URL_INVALID),
        ("http://[::1/", HttpErrorCode.URL_INVALID),
    ],
)
async def test_a_redirect_to_a_url_we_would_not_request_is_refused(
    location: str, code: HttpErrorCode, api_server: FakeServer, connect_spy: list[str]
) -> None:
    error = await refused(redirect(api_server, 302, location), local_policy())

    assert error.code == code
    assert "redirect" in error.message
    assert connect_spy == ["127.0.0.1"]


@pytest.mark.parametrize("status", [300, 304, 305])
async def test_other_3xx_answers_are_returned_as_they_are(
    status: int, api_server: FakeServer
) -> None:
    response = await call(redirect(api_server, status, "/echo"), local_policy())

    assert response.status == status
    assert len(api_server.requests) == 1


async def test_a_redirect_without_a_location_is_returned_as_it_is(api_server: FakeServer) -> None:
    response = await call(api_server.url("/status/302"), local_policy())

    assert response.status == 302
    assert response.body == b"redirecting"


async def test_a_relative_location_resolves_against_the_current_url(
    api_server: FakeServer,
) -> None:
    response = await call(redirect(api_server, 302, "../echo?from=relative"), local_policy())

    assert json.loads(response.body)["target"] == "/echo?from=relative"
    assert response.url == api_server.url("/echo?from=relative")
