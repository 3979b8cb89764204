"""A case's working file: its notes, the contacts it names, and its correspondence log.

Notes are never changed or removed, so their path answers only GET and POST
(405 for anything else); a correction is a new note.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import case_contacts, cases, contacts, correspondence, notes
from server.auth import authenticate
from server.routes._common import paging, read_json
from server.state import services

EXPORT_LIMIT = 10_000


async def list_notes(request: Request) -> Response:
    """
    summary: The case's notes, newest first; each names the note it corrects and the note that corrected it
    tags: [case file]
    parameters:
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: 'A page of notes: {id, case_id, text, corrects, corrected_by, created_at, created_by}'}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    found = await notes.list_notes(store, actor, case, **paging(request))
    items = await notes.note_views(store, found.items)
    return JSONResponse({"items": items, "next_cursor": found.next_cursor})


async def add_note(request: Request) -> Response:
    """
    summary: Add a note to the case, or correct one of its notes
    description: Notes are never edited or deleted. To correct one, add a note whose corrects names it; the old note then shows corrected_by. A note already corrected answers 409 (correct the correction instead).
    tags: [case file]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [text], properties: {text: {type: string, maxLength: 10000}, corrects: {type: string}}}}}}
    responses:
      201: {description: The note}
      403: {description: Needs caseworker or above in the case's team}
      404: {$ref: "#/components/responses/NotFound"}
      409: {$ref: "#/components/responses/Conflict"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    made = await notes.create_note(store, actor, case, await read_json(request))
    return JSONResponse(notes.note_view(made), status_code=201)


async def list_case_contacts(request: Request) -> Response:
    """
    summary: The contacts the case names, each with its role
    tags: [case file]
    responses:
      200: {description: '{items: [{id, case_id, role, contact, created_at, created_by}]}'}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    found = await case_contacts.list_links(store, actor, case)
    return JSONResponse({"items": found, "next_cursor": None})


async def link_contact(request: Request) -> Response:
    """
    summary: Name a directory contact as one of the case's, in a role
    tags: [case file]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [contact_id, role], properties: {contact_id: {type: string}, role: {type: string, enum: [offender_manager, solicitor, establishment, responsible_clinician, police, victim_liaison, other]}}}}}}
    responses:
      201: {description: 'The link, with the contact'}
      403: {description: Needs caseworker or above in the case's team}
      404: {$ref: "#/components/responses/NotFound"}
      409: {$ref: "#/components/responses/Conflict"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    made = await case_contacts.link(store, actor, case, await read_json(request))
    named = await contacts.by_ids(store, [made["contact_id"]])
    view = case_contacts.link_view(made, named.get(made["contact_id"]))
    return JSONResponse(view, status_code=201)


async def unlink_contact(request: Request) -> Response:
    """
    summary: Stop naming a contact as one of the case's (the directory keeps them)
    tags: [case file]
    responses:
      204: {description: 'Removed, and audited'}
      403: {description: Needs caseworker or above in the case's team}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    await case_contacts.unlink(store, actor, case, request.path_params["link_id"])
    return Response(status_code=204)


async def list_correspondence(request: Request) -> Response:
    """
    summary: The case's correspondence, most recently logged first
    tags: [case file]
    parameters:
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: 'A page of entries: {id, case_id, direction, date, contact, subject, document, created_at, created_by}; document is null when none is linked or the caller may not see it'}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    found = await correspondence.list_entries(store, actor, case, **paging(request))
    items = await correspondence.entry_views(store, actor, found.items)
    return JSONResponse({"items": items, "next_cursor": found.next_cursor})


async def export_correspondence(request: Request) -> Response:
    """
    summary: The case's correspondence as CSV (up to 10,000 rows)
    tags: [case file]
    responses:
      200: {description: CSV, content: {text/csv: {}}}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    rows: list[dict[str, Any]] = []
    cursor = None
    while len(rows) < EXPORT_LIMIT:
        found = await correspondence.list_entries(store, actor, case, limit=500, cursor=cursor)
        rows.extend(await correspondence.entry_views(store, actor, found.items))
        cursor = found.next_cursor
        if cursor is None:
            break
    return Response(
        correspondence.csv_text(rows[:EXPORT_LIMIT]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="correspondence.csv"'},
    )


async def log_correspondence(request: Request) -> Response:
    """
    summary: Log a letter, e-mail or call sent to or received from a contact
    tags: [case file]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [direction, date, contact_id, subject], properties: {direction: {type: string, enum: [sent, received]}, date: {type: string, format: date}, contact_id: {type: string}, subject: {type: string, maxLength: 300}, document_id: {type: string, description: a document of this case the caller can see}}}}}}
    responses:
      201: {description: The entry}
      403: {description: Needs caseworker or above in the case's team}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    made = await correspondence.log(store, actor, case, await read_json(request))
    views = await correspondence.entry_views(store, actor, [made])
    return JSONResponse(views[0], status_code=201)


routes = [
    Route("/cases/{case_id}/notes", list_notes, methods=["GET"]),
    Route("/cases/{case_id}/notes", add_note, methods=["POST"]),
    Route("/cases/{case_id}/contacts", list_case_contacts, methods=["GET"]),
    Route("/cases/{case_id}/contacts", link_contact, methods=["POST"]),
    Route("/cases/{case_id}/contacts/{link_id}", unlink_contact, methods=["DELETE"]),
    Route("/cases/{case_id}/correspondence", list_correspondence, methods=["GET"]),
    Route("/cases/{case_id}/correspondence", log_correspondence, methods=["POST"]),
    Route("/cases/{case_id}/correspondence.csv", export_correspondence, methods=["GET"]),
]
