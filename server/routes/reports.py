"""CSV in and out: importing offenders and cases, and the standard reports."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import csv_import, reports
from records.errors import InvalidInput
from records.policy import Action, require
from records.validation import csv_text
from server.auth import authenticate
from server.routes._common import csv_response, read_body
from server.state import services

CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel")


async def import_rows(request: Request) -> Response:
    """
    summary: Import offenders or cases from CSV, every row checked first
    description: >
      With dry_run=true (the default) nothing is written and the answer lists
      every row's outcome. With dry_run=false every row is written in one
      transaction, or, if any row is refused, none: the 422 lists each refused
      line in `errors`. Offenders' columns are family_name, given_names,
      date_of_birth, aliases (separated by ;), nomis_number, pnc_number,
      cro_number, prison_number, crn; cases' are nomis_number, case_type,
      title, team. The file must be UTF-8.
    tags: [imports]
    parameters:
      - {name: kind, in: path, required: true, schema: {type: string, enum: [offenders, cases]}}
      - {name: dry_run, in: query, schema: {type: boolean, default: true}}
    requestBody: {required: true, content: {text/csv: {schema: {type: string}}}}
    responses:
      200: {description: 'The dry run: {kind, dry_run, rows, refused, imported, outcomes}'}
      201: {description: Every row imported; the same report with each new record's id}
      403: {description: Needs caseworker or above}
      413: {description: Larger than 2 MiB}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    kind = request.path_params["kind"]
    require(actor, Action.CASE_CREATE if kind == "cases" else Action.OFFENDER_WRITE)
    dry_run = _dry_run(request.query_params.get("dry_run", "true"))
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in CSV_TYPES:
        raise InvalidInput(f"send the file as text/csv, not {media[:60] or 'nothing'}")
    raw = await read_body(request, limit=csv_import.MAX_BYTES, what="CSV imports")

    report = await csv_import.import_csv(services(request).store, actor, kind, raw, dry_run=dry_run)
    return JSONResponse(report.view(), status_code=200 if dry_run else 201)


def _dry_run(raw: str) -> bool:
    if raw not in ("true", "false"):
        raise InvalidInput.field("dry_run", "must be true or false")
    return raw == "true"


async def list_reports(request: Request) -> Response:
    """
    summary: The standard reports
    tags: [reports]
    responses:
      200: {description: '{items: [{name, title, columns}]}'}
    """
    actor = await authenticate(request)
    require(actor, Action.REPORTS_READ)
    items = [
        {"name": name, "title": title, "columns": list(columns)}
        for name, (title, columns, _) in reports.REPORTS.items()
    ]
    return JSONResponse({"items": items})


async def report_csv(request: Request) -> Response:
    """
    summary: One standard report as CSV, over the cases the caller may see
    tags: [reports]
    parameters:
      - {name: report, in: path, required: true, schema: {type: string, enum: [cases-by-state, deadlines-by-month, documents-awaited, open-cases]}}
    responses:
      200: {description: CSV, content: {text/csv: {}}}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    name = request.path_params["report"]
    _, columns, rows = await reports.run(services(request).store, actor, name)
    return csv_response(csv_text(columns, rows), f"{name}.csv")


routes = [
    Route("/imports/{kind}", import_rows, methods=["POST"]),
    Route("/reports", list_reports, methods=["GET"]),
    Route("/reports/{report}.csv", report_csv, methods=["GET"]),
]
