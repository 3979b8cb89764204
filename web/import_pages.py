"""Importing offenders and cases from CSV in the browser, and the reports page.

The file is checked first (a dry run) and the page shows every row's
outcome. The checked file is kept (records.csv_import's drafts), so
"Import these rows" imports exactly the bytes that were checked, not a
file chosen again. records.csv_import checks and writes; this module only
carries the file and lays the outcome out.
"""

from __future__ import annotations

from bson import ObjectId
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import csv_import, reports
from records.actors import Actor
from records.errors import InvalidInput, MalformedInput, NotFound, TooLarge
from records.policy import Action, allows, require
from records.validation import csv_text
from server.routes._common import csv_response
from server.state import services
from web import session
from web.casework import check_token
from web.forms import FormErrors, sentence
from web.page import page

KIND_LABELS = {"offenders": "Offenders", "cases": "Cases"}
# The form's own fields beside the file.
FORM_OVERHEAD = 64 * 1024


async def import_form(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    _may_import(signed_in.actor)
    done = request.query_params.get("done", "")
    return await page(
        request,
        "imports.html",
        kinds=KIND_LABELS,
        done=await csv_import.imported_by(services(request).store, signed_in.actor, done),
    )


async def check_file(request: Request) -> Response:
    """The dry run: every row's outcome, and the file kept for the real run."""
    try:
        return await _check_file(request)
    except (TooLarge, MalformedInput) as exc:
        # Refused before the form was read: shown on the form, not as an error page.
        errors = FormErrors()
        errors.add("file", sentence(exc.detail))
        return await _form_page(request, errors, {})


async def _check_file(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    actor = signed_in.actor
    _may_import(actor)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise MalformedInput("the import form must say how long it is")
    if int(declared) > csv_import.MAX_BYTES + FORM_OVERHEAD:
        raise TooLarge(f"a CSV file is at most {csv_import.MAX_BYTES // (1024 * 1024)} MiB")
    # The form's spooled file is closed when the block ends, whatever happens.
    async with request.form(max_files=1, max_fields=10, max_part_size=FORM_OVERHEAD) as form:
        check_token(form, signed_in.csrf_token)
        kind = session.text(form, "kind")
        chosen = form.get("file")
        errors = FormErrors()
        if kind not in KIND_LABELS:
            errors.add("kind", "Choose what the file holds: offenders or cases.")
        if not isinstance(chosen, UploadFile) or not chosen.filename:
            errors.add("file", "Choose a CSV file to check.")
        else:
            raw, filename = await chosen.read(), chosen.filename
    if errors:
        return await _form_page(request, errors, {"kind": kind})

    store = services(request).store
    try:
        report = await csv_import.import_csv(store, actor, kind, raw, dry_run=True)
    except InvalidInput as exc:
        errors.add("file", sentence(exc.detail))
        return await _form_page(request, errors, {"kind": kind})
    draft = await csv_import.keep_draft(store, actor, kind, raw, filename)
    return await _report_page(request, report, draft, filename)


async def import_checked(request: Request) -> Response:
    """The real run, over exactly the bytes the dry run checked."""
    signed_in, _ = await session.read_signed_in_form(request)
    actor = signed_in.actor
    _may_import(actor)
    store = services(request).store
    try:
        draft = await csv_import.draft_of(store, actor, request.path_params["draft_id"])
        await csv_import.import_csv(
            store, actor, draft["kind"], bytes(draft["csv"]), dry_run=False, draft_id=draft["_id"]
        )
    except csv_import.ImportRefused as exc:
        # The records changed since the check (someone added one of these offenders).
        return await _report_page(request, exc.report, draft["_id"], draft["filename"], 422)
    except NotFound:
        # Imported already (the button sent twice), expired, or never this person's.
        return await page(
            request,
            "error.html",
            status=404,
            heading="This checked file has gone",
            paragraphs=[
                "It has been imported already, or its check ended after an hour. "
                "Look for the records before checking the file again, so nothing is "
                "imported twice."
            ],
            reference=None,
        )
    return RedirectResponse(f"/imports?done={draft['_id']}", status_code=303)


async def _form_page(request: Request, errors: FormErrors, values: dict[str, str]) -> Response:
    return await page(
        request,
        "imports.html",
        status=422,
        kinds=KIND_LABELS,
        done=None,
        errors=errors,
        values=values,
    )


def _may_import(actor: Actor) -> None:
    # Either kind will do to see the page; each import asks again for its own.
    if not allows(actor, Action.CASE_CREATE):
        require(actor, Action.OFFENDER_WRITE)


async def _report_page(
    request: Request,
    report: csv_import.Report,
    draft_id: ObjectId,
    filename: str,
    status: int = 200,
) -> Response:
    view = report.view()
    return await page(
        request,
        "import_report.html",
        status=status,
        report=view,
        kind_label=KIND_LABELS[report.kind].lower(),
        draft_id=str(draft_id),
        filename=filename,
    )


async def report_list(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    require(signed_in.actor, Action.REPORTS_READ)
    listed = [(name, title) for name, (title, _, _) in reports.REPORTS.items()]
    return await page(request, "reports.html", reports=listed)


async def report_download(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    name = request.path_params["report"]
    _, columns, rows = await reports.run(services(request).store, signed_in.actor, name)
    return csv_response(csv_text(columns, rows), f"{name}.csv")


routes = [
    Route("/imports", import_form, methods=["GET"], include_in_schema=False),
    Route("/imports", check_file, methods=["POST"], include_in_schema=False),
    Route("/imports/{draft_id}", import_checked, methods=["POST"], include_in_schema=False),
    Route("/reports", report_list, methods=["GET"], include_in_schema=False),
    Route("/reports/{report}.csv", report_download, methods=["GET"], include_in_schema=False),
]
