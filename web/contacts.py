"""The contacts directory in the browser: finding a contact, adding one, changing one.

records.contacts applies every rule (internal users read, caseworkers and
above keep the directory); these pages gather the forms and show refusals
beside their fields.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import contacts
from records.actors import Actor
from records.errors import InvalidInput
from records.policy import Action, allows
from server.state import services
from web import session
from web.forms import FormErrors, sentence
from web.page import page

CONTACTS_PER_PAGE = 50
FIELDS = ("kind", "name", "organisation", "email", "phone", "address")
LABELS = {
    "kind": "Kind",
    "name": "Name",
    "organisation": "Organisation",
    "email": "E-mail address",
    "phone": "Telephone",
    "address": "Address",
}
DONE = {"created": "Contact added.", "changed": "Contact changed."}


def _problems(errors: FormErrors, exc: InvalidInput) -> None:
    if not exc.errors:
        errors.add("name", sentence(exc.detail))
    for problem in exc.errors:
        target = problem.field if problem.field in LABELS else "name"
        label = LABELS.get(problem.field, problem.field)
        errors.add(target, sentence(f"{label} {problem.message}"))


def _form_values(form: Any) -> dict[str, str]:
    return {name: session.text(form, name) for name in FIELDS}


async def directory(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    return await _directory(request, signed_in.actor)


async def _directory(
    request: Request,
    actor: Actor,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    query = {name: request.query_params.get(name, "") for name in ("q", "search-kind")}
    search_errors = FormErrors()
    found: list[dict[str, Any]] = []
    next_link = None
    try:
        listed = await contacts.search_contacts(
            services(request).store,
            actor,
            query["q"],
            kind=query["search-kind"] or None,
            limit=CONTACTS_PER_PAGE,
            cursor=request.query_params.get("cursor") or None,
        )
    except InvalidInput as exc:
        search_errors.add("q", sentence(exc.detail))
    else:
        found = [_row(c) for c in listed.items]
        if listed.next_cursor:
            next_link = "/contacts?" + urlencode({**query, "cursor": listed.next_cursor})
    return await page(
        request,
        "contacts.html",
        status=422 if search_errors and status == 200 else status,
        query=query,
        search_errors=search_errors,
        contacts=found,
        next_link=next_link,
        kinds=list(contacts.KINDS.items()),
        errors=errors or FormErrors(),
        values=values or {},
        may_write=allows(actor, Action.CONTACT_WRITE),
    )


def _row(contact: dict[str, Any]) -> dict[str, Any]:
    shown = contacts.contact_view(contact)
    return shown | {"kind_label": contacts.KINDS.get(shown["kind"], shown["kind"])}


async def add_contact(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    values = _form_values(form)
    body = {name: value for name, value in values.items() if value}

    errors = FormErrors()
    try:
        made = await contacts.create_contact(services(request).store, signed_in.actor, body)
    except InvalidInput as exc:
        _problems(errors, exc)
    else:
        return RedirectResponse(f"/contacts/{made['_id']}?done=created", status_code=303)
    return await _directory(request, signed_in.actor, errors=errors, values=values, status=422)


async def contact_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    return await _contact_page(request, signed_in.actor, request.path_params["contact_id"])


async def change_contact(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    values = _form_values(form)
    # Every field is on the form: one left empty is one to remove.
    body = {name: value or None for name, value in values.items()}

    errors = FormErrors()
    contact_id = request.path_params["contact_id"]
    try:
        await contacts.update_contact(services(request).store, signed_in.actor, contact_id, body)
    except InvalidInput as exc:
        _problems(errors, exc)
    else:
        return RedirectResponse(f"/contacts/{contact_id}?done=changed", status_code=303)
    return await _contact_page(
        request, signed_in.actor, contact_id, errors=errors, values=values, status=422
    )


async def _contact_page(
    request: Request,
    actor: Actor,
    contact_id: str,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = await contacts.get_contact(services(request).store, actor, contact_id)
    shown = contacts.contact_view(found)
    return await page(
        request,
        "contact.html",
        status=status,
        contact=_row(found),
        kinds=list(contacts.KINDS.items()),
        errors=errors or FormErrors(),
        values=values or {name: shown.get(name) or "" for name in FIELDS},
        may_write=allows(actor, Action.CONTACT_WRITE),
        done=DONE.get(request.query_params.get("done", "")),
    )


routes = [
    Route("/contacts", directory, methods=["GET"], include_in_schema=False),
    Route("/contacts", add_contact, methods=["POST"], include_in_schema=False),
    Route("/contacts/{contact_id}", contact_page, methods=["GET"], include_in_schema=False),
    Route("/contacts/{contact_id}", change_contact, methods=["POST"], include_in_schema=False),
]
