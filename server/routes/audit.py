"""The audit trail, read-only."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from records import audit
from server.auth import authenticate
from server.routes._common import page_response, paging, query_time
from server.state import services


async def list_audit(request: Request) -> Response:
    """
    summary: Audit events, newest first (manager and up see everyone's)
    tags: [audit]
    parameters:
      - {name: case_id, in: query, schema: {type: string}}
      - {name: document_id, in: query, schema: {type: string}}
      - {name: user, in: query, schema: {type: string}}
      - {name: since, in: query, schema: {type: string, format: date-time}}
      - {name: until, in: query, schema: {type: string, format: date-time}}
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: A page of events, content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}}
      403: {description: Another user's events asked for by someone below manager}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    found = await audit.list_events(
        services(request).store, actor, **_filters(request), **paging(request)
    )
    return page_response(found, audit.event_view)


async def export_audit(request: Request) -> Response:
    """
    summary: The audit events the filters match, as CSV (manager and up); the export is audited
    tags: [audit]
    parameters:
      - {name: case_id, in: query, schema: {type: string}}
      - {name: document_id, in: query, schema: {type: string}}
      - {name: user, in: query, schema: {type: string}}
      - {name: since, in: query, schema: {type: string, format: date-time}}
      - {name: until, in: query, schema: {type: string, format: date-time}}
    responses:
      200: {description: 'text/csv: seq, at, user, action, target, detail (JSON), ip, case_id, document_id'}
      403: {description: Below manager}
    """
    actor = await authenticate(request)
    events = await audit.export_events(services(request).store, actor, **_filters(request))

    async def lines() -> AsyncIterator[str]:
        yield _csv_line(list(audit.CSV_COLUMNS))
        async for event in events:
            yield _csv_line(audit.event_row(event))

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


def _filters(request: Request) -> dict[str, Any]:
    """The filters both the list and the export take from the query string."""
    params = request.query_params
    return {
        "case_id": params.get("case_id"),
        "document_id": params.get("document_id"),
        "user": params.get("user"),
        "since": query_time(request, "since"),
        "until": query_time(request, "until"),
    }


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


routes = [
    Route("/audit", list_audit, methods=["GET"]),
    Route("/audit.csv", export_audit, methods=["GET"]),
]
