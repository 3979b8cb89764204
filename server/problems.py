"""Errors as RFC 9457 problem documents; the one place domain errors become HTTP."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Scope

from records import errors
from search import errors as search_errors

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_STATUS: list[tuple[type[errors.RecordError], int, str]] = [
    (errors.MalformedInput, 400, "Malformed request"),
    (errors.Unauthenticated, 401, "Not signed in"),
    (errors.Forbidden, 403, "Not allowed"),
    (errors.NotFound, 404, "Not found"),
    (errors.Conflict, 409, "Conflict"),
    (errors.Gone, 410, "Gone"),
    (errors.StaleRevision, 412, "Precondition failed"),
    (errors.TooLarge, 413, "Content too large"),
    (errors.PreconditionRequired, 428, "Precondition required"),
    (errors.UnsupportedMediaType, 415, "Unsupported media type"),
    (errors.InvalidInput, 422, "Invalid input"),
    (errors.TooManyAttempts, 429, "Too many attempts"),
    (errors.Unavailable, 503, "Service unavailable"),
]

_TITLES = {status: title for _, status, title in _STATUS} | {
    405: "Method not allowed",
    500: "Internal error",
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors_list: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    # RFC 9457 section 3.2: members beyond the standard ones extend the problem.
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors_list is not None:
        body["errors"] = errors_list
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


def from_record_error(exc: errors.RecordError) -> JSONResponse:
    status, title = next(((s, t) for cls, s, t in _STATUS if isinstance(exc, cls)), (500, None))
    headers: dict[str, str] | None = None
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="ppud"'}
    elif isinstance(exc, errors.TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    listed = None
    if isinstance(exc, errors.InvalidInput):
        listed = [{"field": p.field, "message": p.message} for p in exc.errors]
    # A refused import answers with its report, so the client sees every row's outcome.
    extensions = {"report": exc.report} if isinstance(exc, errors.ImportRefused) else None
    return problem(
        status, exc.detail, title=title, errors_list=listed, headers=headers, extensions=extensions
    )


async def record_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.RecordError)
    return from_record_error(exc)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        detail = f"there is no route {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
        # Each method is its own Route, so Starlette's Allow names only the first
        # route that matched the path; RFC 9110 section 15.5.6 wants them all.
        # Match from the top, as the router did before any Mount narrowed the scope.
        top: Scope = {"type": "http", "path": request.url.path, "root_path": "", "method": ""}
        methods = sorted(_methods_for(request.app.router.routes, top))
        return problem(405, detail, headers={"Allow": ", ".join(methods)})
    else:
        detail = str(exc.detail)
    return problem(exc.status_code, detail, headers=exc.headers)


def _methods_for(routes: list[BaseRoute], scope: Scope) -> set[str]:
    """Every method some route answers for this scope's path."""
    methods: set[str] = set()
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            methods |= _methods_for(route.routes, {**scope, **child})
        elif isinstance(route, Route) and route.methods:
            methods |= route.methods
    return methods


async def search_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, search_errors.SearchError)
    if isinstance(exc, search_errors.MalformedQuery):
        return problem(400, exc.detail, title="Malformed search")
    logger.error("search unavailable: %s", type(exc).__name__)
    return problem(503, "search is not available just now; try again shortly")


async def database_down_handler(request: Request, exc: Exception) -> Response:
    logger.error("database unavailable: %s", type(exc).__name__)
    return problem(503, "the database is not answering; try again shortly")


HANDLERS: dict[Any, Any] = {
    errors.RecordError: record_error_handler,
    search_errors.SearchError: search_error_handler,
    HTTPException: http_error_handler,
    ServerSelectionTimeoutError: database_down_handler,
    ConnectionFailure: database_down_handler,
}
