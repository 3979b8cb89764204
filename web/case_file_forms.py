"""The case page's forms for notes, contacts and correspondence.

records.notes, records.case_contacts and records.correspondence apply every
rule; these handlers gather the form, and on a refusal show the case page
again with what was typed and the problem beside its field.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import case_contacts, cases, correspondence, notes
from records.errors import Conflict, InvalidInput, MalformedInput
from server.state import services
from web import session
from web.cases import render_case
from web.casework import read_date
from web.forms import FormErrors, field_sentence, sentence

# How each records field is named on the page, and the id of its input.
LABELS = {
    "text": "Note",
    "contact_id": "Contact",
    "role": "Role",
    "direction": "Sent or received",
    "date": "Date",
    "subject": "Subject",
    "document_id": "Document",
}
LINK_IDS = {"contact_id": "link-contact", "role": "link-role"}
LETTER_IDS = {
    "direction": "letter-direction",
    "date": "letter-date-day",
    "contact_id": "letter-contact",
    "subject": "letter-subject",
    "document_id": "letter-document",
}
# Sent for a date the three boxes could not make: the records refuse it, so nothing is logged.
UNREADABLE = "unreadable"
LETTER_FIELDS = (
    "letter-direction",
    "letter-date-day",
    "letter-date-month",
    "letter-date-year",
    "letter-contact",
    "letter-subject",
    "letter-document",
)


def add_problems(
    errors: FormErrors, exc: InvalidInput, ids: dict[str, str], *, skip: set[str] | None = None
) -> None:
    """A records InvalidInput as page errors, each beside its input; skip: fields told already."""
    first = next(iter(ids.values()))
    if not exc.errors:
        errors.add(first, sentence(exc.detail))
    for problem in exc.errors:
        if problem.field in (skip or set()):
            continue
        label = LABELS.get(problem.field, problem.field.replace("_", " ").capitalize())
        errors.add(ids.get(problem.field, first), field_sentence(label, problem.message))


async def add_note(request: Request) -> Response:
    """A new note, or (with the hidden corrects field) a correction of one shown on the page."""
    signed_in, form = await session.read_signed_in_form(request)
    store = services(request).store
    actor = signed_in.actor
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    corrects = session.text(form, "corrects")
    if corrects and not ObjectId.is_valid(corrects):
        raise MalformedInput("the form names no note to correct")
    field = f"correct-{corrects}" if corrects else "note-text"
    values = {field: session.text(form, field)}
    body: dict[str, Any] = {"text": values[field]}
    if corrects:
        body["corrects"] = corrects

    errors = FormErrors()
    try:
        await notes.create_note(store, actor, case, body)
    except InvalidInput as exc:
        add_problems(errors, exc, {"text": field, "corrects": field})
    except Conflict as exc:
        errors.add(field, sentence(exc.detail))
    else:
        filed = "correction" if corrects else "note"
        return RedirectResponse(f"/cases/{case['_id']}?filed={filed}#notes", status_code=303)
    return await render_case(request, actor, case, errors=errors, values=values, status=422)


async def link_contact(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    store = services(request).store
    actor = signed_in.actor
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    values = {name: session.text(form, name) for name in LINK_IDS.values()}
    body = {"contact_id": values["link-contact"], "role": values["link-role"]}

    errors = FormErrors()
    try:
        await case_contacts.link(store, actor, case, body)
    except InvalidInput as exc:
        add_problems(errors, exc, LINK_IDS)
    except Conflict as exc:
        errors.add("link-contact", sentence(exc.detail))
    else:
        return RedirectResponse(f"/cases/{case['_id']}?filed=contact#contacts", status_code=303)
    return await render_case(request, actor, case, errors=errors, values=values, status=422)


async def unlink_contact(request: Request) -> Response:
    signed_in, _ = await session.read_signed_in_form(request)
    store = services(request).store
    actor = signed_in.actor
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    await case_contacts.unlink(store, actor, case, request.path_params["link_id"])
    return RedirectResponse(f"/cases/{case['_id']}?filed=unlinked#contacts", status_code=303)


async def log_letter(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    store = services(request).store
    actor = signed_in.actor
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    values = {name: session.text(form, name) for name in LETTER_FIELDS}

    errors = FormErrors()
    on = read_date(values, "letter-date", errors, label="Date", required=True)
    body = {
        "direction": values["letter-direction"] or None,
        # Boxes that make no date are refused beside them; the records still check the rest.
        "date": on or UNREADABLE,
        "contact_id": values["letter-contact"] or None,
        "subject": values["letter-subject"] or None,
        "document_id": values["letter-document"] or None,
    }
    try:
        await correspondence.log(store, actor, case, body)
    except InvalidInput as exc:
        told = {"date"} if errors else set()
        add_problems(errors, exc, LETTER_IDS, skip=told)
    else:
        return RedirectResponse(f"/cases/{case['_id']}?filed=letter#correspondence", 303)
    return await render_case(request, actor, case, errors=errors, values=values, status=422)


def _form(path: str, endpoint: Any) -> Route:
    return Route(path, endpoint, methods=["POST"], include_in_schema=False)


routes = [
    _form("/cases/{case_id}/notes", add_note),
    _form("/cases/{case_id}/contacts", link_contact),
    _form("/cases/{case_id}/contacts/{link_id}/remove", unlink_contact),
    _form("/cases/{case_id}/correspondence", log_letter),
]
