"""Uploading several documents to a case in one form, each with its own details.

The form is plain multipart and works without JavaScript; with it,
web/static/upload.mjs sends each file on its own to show its progress. Either
way the bytes stream to GridFS as they arrive (server.uploads), and the CSRF
token, the form's first field, is checked before the first byte is stored.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import cases, documents, folders
from records.errors import InvalidInput, MalformedInput, TooLarge, UnsupportedMediaType
from records.files import StoredFile
from records.policy import Action
from server.state import services
from server.uploads import receive_form
from web import session
from web.casework import (
    add_problems,
    check_token,
    is_multipart,
    offered_document_types,
    read_date,
)
from web.forms import FormErrors, sentence
from web.page import page

ROWS = 5


def _row_ids(row: int) -> dict[str, str]:
    return {
        "title": f"title-{row}",
        "doc_type": f"doc_type-{row}",
        "document_date": f"date-{row}-day",
        "protective_marking": f"marking-{row}",
        "handling_instruction": f"title-{row}",
        "folder_id": "folder_id",
        "file": f"file-{row}",
        "metadata": f"title-{row}",
    }


async def upload_form(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    store = services(request).store
    case = await cases.get_case(
        store, signed_in.actor, request.path_params["case_id"], action=Action.DOCUMENT_WRITE
    )
    return await _form_page(request, case, FormErrors(), {})


async def _form_page(
    request: Request,
    case: dict[str, Any],
    errors: FormErrors,
    values: dict[str, str],
    *,
    status: int = 200,
) -> Response:
    store = services(request).store
    found = await folders.list_folders(store, case["_id"])
    names = {f["_id"]: f["name"] for f in found}
    paths = [
        (str(f["_id"]), " / ".join(_path(f, {x["_id"]: x for x in found}, names))) for f in found
    ]
    return await page(
        request,
        "upload.html",
        status=status,
        case={"id": str(case["_id"]), "title": case["title"]},
        rows=range(1, ROWS + 1),
        doc_types=await offered_document_types(store),
        markings=[(m, m) for m in documents.MARKINGS],
        folders=sorted(paths, key=lambda p: p[1].lower()),
        errors=errors,
        values=values,
    )


def _path(folder: dict[str, Any], by_id: dict[Any, Any], names: dict[Any, str]) -> list[str]:
    parent = by_id.get(folder.get("parent_id"))
    return [*(_path(parent, by_id, names) if parent else []), names[folder["_id"]]]


async def upload(request: Request) -> Response:
    """File every chosen file as a document of the case, or none and say why."""
    if not is_multipart(request):
        # A form that is not multipart cannot carry files; its token is still checked first.
        await session.read_signed_in_form(request)
        raise MalformedInput("the upload form is sent as multipart/form-data")
    signed_in = await session.signed_in(request)
    app = services(request)
    # Refused before a byte is read when the case is hidden or read-only to the user.
    case = await cases.get_case(
        app.store, signed_in.actor, request.path_params["case_id"], action=Action.DOCUMENT_WRITE
    )

    def token_first(fields: dict[str, str]) -> None:
        check_token(fields, signed_in.csrf_token)

    async with receive_form(
        request, app.store, max_bytes=app.settings.max_upload_bytes, before_file=token_first
    ) as form:
        check_token(form.fields, signed_in.csrf_token)
        errors = FormErrors()
        chosen = await _read_rows(app.store, case, form.fields, form.stored, errors)
        if errors:
            # Nothing is filed; the staged bytes go when this block ends with the error page.
            raise _FormProblem(errors, form.fields)
        for data, stored in chosen:
            await documents.create_document(app.store, signed_in.actor, case, data, stored)
    return RedirectResponse(f"/cases/{case['_id']}?uploaded={len(chosen)}", status_code=303)


class _FormProblem(Exception):
    def __init__(self, errors: FormErrors, values: dict[str, str]) -> None:
        super().__init__("the upload form has problems")
        self.errors, self.values = errors, values


async def upload_or_explain(request: Request) -> Response:
    try:
        return await upload(request)
    except (TooLarge, UnsupportedMediaType, InvalidInput) as exc:
        # Raised while a file streamed in: too big, empty, or of a refused type.
        refused = FormErrors()
        refused.add("file-1", sentence(f"A file could not be accepted: {exc.detail}"))
        problem = _FormProblem(refused, {})
    except _FormProblem as raised:
        problem = raised
    signed_in = await session.signed_in(request)
    case = await cases.get_case(
        services(request).store,
        signed_in.actor,
        request.path_params["case_id"],
        action=Action.DOCUMENT_WRITE,
    )
    return await _form_page(request, case, problem.errors, problem.values, status=422)


async def _read_rows(
    store: Any,
    case: dict[str, Any],
    fields: dict[str, str],
    stored: dict[str, StoredFile],
    errors: FormErrors,
) -> list[tuple[dict[str, Any], StoredFile]]:
    """Each chosen file's details, checked as records would check them, all rows at once."""
    chosen = []
    for row in range(1, ROWS + 1):
        before = len(errors.items)
        title = fields.get(f"title-{row}", "").strip()
        file = stored.get(f"file-{row}")
        if file is None:
            if title:
                errors.add(f"file-{row}", f"Choose the file for document {row}")
            continue
        if not title:
            errors.add(f"title-{row}", f"Enter a title for document {row} ({file.filename})")
        if not fields.get(f"doc_type-{row}"):
            errors.add(f"doc_type-{row}", f"Select the type of document {row}")
        document_date = read_date(
            fields, f"date-{row}", errors, label=f"The date of document {row}"
        )
        data: dict[str, Any] = {
            "title": title,
            "doc_type": fields.get(f"doc_type-{row}", ""),
            "protective_marking": fields.get(f"marking-{row}", "OFFICIAL"),
        }
        if document_date:
            data["document_date"] = document_date
        if fields.get("folder_id"):
            data["folder_id"] = fields["folder_id"]
        if len(errors.items) == before:
            try:
                await documents.read_fields(store, case, data, partial=False)
            except InvalidInput as exc:
                add_problems(errors, exc, ids=_row_ids(row))
        chosen.append((data, file))
    if not chosen and not errors:
        errors.add("file-1", "Choose at least one file to upload")
    return chosen


routes = [
    Route("/cases/{case_id}/upload", upload_form, methods=["GET"], include_in_schema=False),
    Route("/cases/{case_id}/upload", upload_or_explain, methods=["POST"], include_in_schema=False),
]
