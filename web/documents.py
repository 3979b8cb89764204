"""The document page: details (editable), versions, check-out and check-in, previews."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from records import cases, documents, locks, restriction, versions
from records.errors import (
    DocumentLocked,
    InvalidInput,
    MalformedInput,
    NotFound,
    StaleRevision,
    TooLarge,
    UnsupportedMediaType,
)
from records.policy import Action, allows
from server import stamped
from server.content import content_disposition, send_version
from server.state import services
from server.uploads import receive_form
from web import session
from web.casework import (
    add_problems,
    check_token,
    document_types,
    file_size,
    is_multipart,
    label_of,
    marking_colour,
    offered_document_types,
    read_date,
    split_date,
)
from web.forms import FormErrors, sentence
from web.page import page
from web.thumbnails import IMAGE_TYPES, NoThumbnail, can_draw, thumbnail

VERSIONS_PER_PAGE = 20
STALE = "Someone else changed this document since you opened it"
EDIT_FIELDS = ("title", "doc_type", "protective_marking", "handling_instruction", "revision")
EDIT_IDS = {
    "title": "title",
    "doc_type": "doc_type",
    "document_date": "document_date-day",
    "protective_marking": "protective_marking",
    "handling_instruction": "handling_instruction",
    "folder_id": "title",
    "metadata": "title",
}
# What a redirect back to the page may announce; the words are ours, never the address's.
DONE = {
    "saved": "Your changes were saved.",
    "checked-out": "You have checked out this document.",
    "checked-in": "The new version was added and the document checked in.",
    "released": "The check-out was cancelled.",
    "limited": "Who may see the document was changed.",
}
# Shown in the page itself, each from a URL whose answer is sandboxed.
INLINE_TYPES = {"application/pdf", *IMAGE_TYPES}


def _back(document_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/documents/{quote(document_id)}?done={done}", status_code=303)


async def document_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    store = services(request).store
    document = await documents.view(store, signed_in.actor, request.path_params["document_id"])
    case = await cases.get_case(store, signed_in.actor, document["case_id"])
    return await _render(request, document, case)


async def _render(
    request: Request,
    document: dict[str, Any],
    case: dict[str, Any],
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    checkin_errors: FormErrors | None = None,
    limit_errors: FormErrors | None = None,
    stale: bool = False,
) -> Response:
    signed_in = await session.signed_in(request)
    actor = signed_in.actor
    store = services(request).store
    types = await document_types(store)
    lock = documents.lock_view(document.get("lock"), now=store.now())
    document_id = str(document["_id"])
    current = next(v for v in document["versions"] if v["number"] == document["current_version"])
    stamp = stamped.wants_stamp(actor, current)

    newest_first = sorted(document["versions"], key=lambda v: -v["number"])
    last_page = max(1, -(-len(newest_first) // VERSIONS_PER_PAGE))
    raw_page = request.query_params.get("versions", "1")
    version_page = min(int(raw_page), last_page) if raw_page.isdigit() and raw_page != "0" else 1
    shown = newest_first[(version_page - 1) * VERSIONS_PER_PAGE : version_page * VERSIONS_PER_PAGE]

    return await page(
        request,
        "document.html",
        status=status,
        document={
            "id": document_id,
            "title": document["title"],
            "doc_type": label_of(types, document["doc_type"]),
            "document_date": document.get("document_date"),
            "protective_marking": document["protective_marking"],
            "marking_colour": marking_colour(document["protective_marking"]),
            "handling_instruction": document.get("handling_instruction") or "",
            "current_version": document["current_version"],
            "revision": document["revision"],
            "shared": document.get("shared_with_external", False),
            "media_type": current["media_type"],
            "limit": document.get("restricted_to"),
        },
        case={"id": str(case["_id"]), "title": case["title"]},
        lock=lock,
        mine=bool(lock and lock["holder"] == actor.username),
        may_write=allows(actor, Action.DOCUMENT_WRITE, case),
        versions=[_version_row(v) for v in shown],
        version_page=version_page,
        last_version_page=last_page,
        thumbnail=can_draw(current) and not stamp,
        preview=current["media_type"] in INLINE_TYPES and not stamp,
        preview_is_image=current["media_type"] in IMAGE_TYPES,
        doc_types=await offered_document_types(store, keeping=document["doc_type"]),
        markings=[(m, m) for m in documents.MARKINGS],
        errors=errors or FormErrors(),
        checkin_errors=checkin_errors or FormErrors(),
        limit_errors=limit_errors or FormErrors(),
        values=values if values is not None else _values_of(document),
        done=DONE.get(request.query_params.get("done", "")),
        stale=stale,
    )


def _values_of(document: dict[str, Any]) -> dict[str, str]:
    parts = split_date(document.get("document_date"))
    return {
        "title": document["title"],
        "doc_type": document["doc_type"],
        "protective_marking": document["protective_marking"],
        "handling_instruction": document.get("handling_instruction") or "",
        "revision": str(document["revision"]),
        **{f"document_date-{part}": value for part, value in parts.items()},
    }


def _version_row(version: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": version["number"],
        "filename": version["filename"],
        "created_by": version["created_by"],
        "created_at": version["created_at"],
        "size": file_size(int(version["size"])),
        "comment": version.get("comment") or "",
    }


async def edit(request: Request) -> Response:
    """Save the details form; a stale revision keeps what was typed and says why."""
    signed_in, form = await session.read_signed_in_form(request)
    store = services(request).store
    document_id = request.path_params["document_id"]
    document, case = await documents.load(
        store, signed_in.actor, document_id, Action.DOCUMENT_WRITE
    )
    values = {name: session.text(form, name) for name in EDIT_FIELDS}
    values |= {
        f"document_date-{part}": session.text(form, f"document_date-{part}")
        for part in ("day", "month", "year")
    }

    errors = FormErrors()
    stale = False
    if not values["title"]:
        errors.add("title", "Enter a title")
    document_date = read_date(values, "document_date", errors, label="Document date")
    revision = values["revision"]
    if not (revision.isascii() and revision.isdigit()) or len(revision) > 18:
        raise MalformedInput("the form's revision is not a number")
    changes = {
        "title": values["title"],
        "doc_type": values["doc_type"],
        "protective_marking": values["protective_marking"],
        "handling_instruction": values["handling_instruction"] or None,
        "document_date": document_date,
    }
    if not errors:
        try:
            await documents.update_metadata(
                store, signed_in.actor, document_id, changes, expected_revision=int(revision)
            )
        except StaleRevision:
            errors.add("title", STALE)
            # Their words stay in the form; saving again now applies them to what is current.
            values["revision"] = str(document["revision"])
            stale = True
        except InvalidInput as exc:
            add_problems(errors, exc, ids=EDIT_IDS)
        else:
            return _back(document_id, "saved")
    return await _render(
        request, document, case, errors=errors, values=values, status=422, stale=stale
    )


async def limit(request: Request) -> Response:
    """Limit an OFFICIAL-SENSITIVE document to the users and teams named, or lift the limit."""
    signed_in, form = await session.read_signed_in_form(request)
    store = services(request).store
    document_id = request.path_params["document_id"]
    named = {
        field: [n.strip() for n in session.text(form, f"limit-{field}").split(",") if n.strip()]
        for field in ("users", "teams")
    }
    errors = FormErrors()
    try:
        await restriction.set_restriction(store, signed_in.actor, document_id, named)
    except InvalidInput as exc:
        add_problems(errors, exc, ids={"users": "limit-users", "teams": "limit-teams"})
    else:
        return _back(document_id, "limited")
    document, case = await documents.load(store, signed_in.actor, document_id, Action.DOCUMENT_READ)
    return await _render(request, document, case, limit_errors=errors, status=422)


async def check_out(request: Request) -> Response:
    signed_in, _ = await session.read_signed_in_form(request)
    document_id = request.path_params["document_id"]
    await locks.check_out(services(request).store, signed_in.actor, document_id)
    return _back(document_id, "checked-out")


async def release(request: Request) -> Response:
    signed_in, _ = await session.read_signed_in_form(request)
    document_id = request.path_params["document_id"]
    await locks.release(services(request).store, signed_in.actor, document_id)
    return _back(document_id, "released")


async def check_in(request: Request) -> Response:
    """A new version from the holder, streamed to storage, and the lock released."""
    if not is_multipart(request):
        await session.read_signed_in_form(request)
        raise MalformedInput("the check-in form is sent as multipart/form-data")
    signed_in = await session.signed_in(request)
    app = services(request)
    document_id = request.path_params["document_id"]
    document, case = await documents.load(
        app.store, signed_in.actor, document_id, Action.DOCUMENT_WRITE
    )
    versions.check_not_locked_by_other(app.store, signed_in.actor, document)

    def token_first(fields: dict[str, str]) -> None:
        check_token(fields, signed_in.csrf_token)

    errors = FormErrors()
    try:
        async with receive_form(
            request, app.store, max_bytes=app.settings.max_upload_bytes, before_file=token_first
        ) as form:
            check_token(form.fields, signed_in.csrf_token)
            stored = form.stored.get("file")
            comment = form.fields.get("comment", "").strip() or None
            if stored is None:
                errors.add("file", "Choose the file of the new version")
            elif comment and len(comment) > documents.MAX_COMMENT:
                errors.add(
                    "comment", f"Comment must be {documents.MAX_COMMENT} characters or fewer"
                )
            else:
                await versions.add_version(
                    app.store, signed_in.actor, document_id, stored, comment=comment, check_in=True
                )
                return _back(document_id, "checked-in")
    except (InvalidInput, DocumentLocked, TooLarge, UnsupportedMediaType) as exc:
        # Refused as it streamed in (empty, too big, a program) or taken by someone else.
        errors.add("file", sentence(exc.detail))
    document, case = await documents.load(
        app.store, signed_in.actor, document_id, Action.DOCUMENT_READ
    )
    return await _render(request, document, case, checkin_errors=errors, status=422)


def _number(request: Request) -> int:
    raw = request.path_params["number"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise NotFound(f"there is no version {raw[:20]!r}")
    return int(raw)


async def download(request: Request) -> Response:
    """A version's bytes as a download; an external user's PDF is stamped as the API's is."""
    signed_in = await session.signed_in(request)
    actor = signed_in.actor
    store = services(request).store
    opened = await versions.open_version(
        store, actor, request.path_params["document_id"], _number(request)
    )
    if stamped.wants_stamp(actor, opened.version):
        return await stamped.send_stamped(request, actor, opened)

    async def audit_download(first: int, last: int) -> None:
        await versions.record_download(store, actor, opened, first=first, last=last)

    def read(first: int, last: int) -> AsyncIterator[bytes]:
        return opened.read(store, first, last)

    return await send_version(request, opened.version, read, on_send=audit_download)


async def preview(request: Request) -> Response:
    """A PDF or an image shown inside the document page, never as a page of this site."""
    signed_in = await session.signed_in(request)
    actor = signed_in.actor
    store = services(request).store
    opened = await versions.open_version(
        store, actor, request.path_params["document_id"], _number(request)
    )
    media_type = opened.version["media_type"]
    # An external user's PDF goes out stamped, as a download only.
    if media_type not in INLINE_TYPES or stamped.wants_stamp(actor, opened.version):
        raise NotFound("this version has no preview; download it instead")

    async def audit_view(first: int, last: int) -> None:
        await versions.record_download(
            store, actor, opened, first=first, last=last, extra={"preview": True}
        )

    def read(first: int, last: int) -> AsyncIterator[bytes]:
        return opened.read(store, first, last)

    answer = await send_version(request, opened.version, read, on_send=audit_view)
    answer.headers["Content-Disposition"] = content_disposition(
        opened.version["filename"], inline=True
    )
    # The type was sniffed from the bytes when filed, so no HTML arrives here as a "PDF".
    # Chromium draws no PDF in a sandboxed frame, so a PDF keeps scripts off by
    # default-src alone; images keep the full sandbox.
    sandbox = "" if media_type == "application/pdf" else "sandbox; "
    answer.headers["Content-Security-Policy"] = (
        f"{sandbox}default-src 'none'; frame-ancestors 'self'"
    )
    return answer


async def thumbnail_png(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    actor = signed_in.actor
    app = services(request)
    opened = await versions.open_version(
        app.store, actor, request.path_params["document_id"], _number(request)
    )
    if stamped.wants_stamp(actor, opened.version):
        raise NotFound("an external user's PDF is only downloaded, stamped")
    try:
        path = await thumbnail(app.store, app.settings.data_dir, opened.version)
    except NoThumbnail as exc:
        raise NotFound(str(exc)) from exc
    return FileResponse(
        path,
        media_type="image/png",
        headers={
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


def _route(path: str, endpoint: Any, method: str = "GET") -> Route:
    return Route(path, endpoint, methods=[method], include_in_schema=False)


VERSION = "/documents/{document_id}/versions/{number}"
routes = [
    _route("/documents/{document_id}", document_page),
    _route("/documents/{document_id}", edit, "POST"),
    _route("/documents/{document_id}/check-out", check_out, "POST"),
    _route("/documents/{document_id}/limit", limit, "POST"),
    _route("/documents/{document_id}/check-in", check_in, "POST"),
    _route("/documents/{document_id}/cancel-check-out", release, "POST"),
    _route(f"{VERSION}/download", download),
    _route(f"{VERSION}/preview", preview),
    _route(f"{VERSION}/thumbnail.png", thumbnail_png),
]
