"""Translate every failure into one JSON shape: ``error_code``, ``message``, ``request_id``."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from toolkeep.errors import ToolkeepError

log = logging.getLogger("toolkeep.api")
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.state.request_id = "req_" + secrets.token_hex(8)
    return str(rid)


def error_response(request: Request, status: int, body: dict[str, Any]) -> JSONResponse:
    rid = request_id(request)
    body["request_id"] = rid
    headers = {"Cache-Control": "no-store", "Request-Id": rid}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="toolkeep-api"'
    return JSONResponse(body, status_code=status, headers=headers)


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ToolkeepError)
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.message)
    return error_response(request, exc.status, exc.to_dict())


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        body = {"error_code": "invalid_json", "message": "The request body is not valid JSON."}
        return error_response(request, 400, body)
    fields = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in errors]
    first = fields[0]
    return error_response(
        request,
        422,
        {
            "error_code": "validation_error",
            "message": f"{first['field']}: {first['message']}",
            "field": first["field"],
            "errors": fields,
        },
    )


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = "No such API route." if exc.status_code == 404 else str(exc.detail)
    return error_response(request, exc.status_code, {"error_code": code, "message": message})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled %s in %s %s", type(exc).__name__, request.method, request.url.path)
    body = {"error_code": "internal_error", "message": "Something went wrong on our side."}
    return error_response(request, 500, body)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ToolkeepError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
