"""The contacts directory: offender managers, solicitors, prisons, hospitals, police forces."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import contacts
from server.auth import authenticate
from server.routes._common import page_response, paging, read_json
from server.state import services


async def list_contacts(request: Request) -> Response:
    """
    summary: Find contacts by name or organisation (internal users)
    tags: [contacts]
    parameters:
      - {name: q, in: query, description: words each starting a word of the name or organisation, schema: {type: string}}
      - {name: kind, in: query, schema: {type: string, enum: [offender_manager, solicitor, prison, hospital, police_force, other]}}
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: A page of contacts, content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}}
      403: {description: External users have no directory}
    """
    actor = await authenticate(request)
    params = request.query_params
    found = await contacts.search_contacts(
        services(request).store,
        actor,
        params.get("q"),
        kind=params.get("kind") or None,
        **paging(request),
    )
    return page_response(found, contacts.contact_view)


async def create_contact(request: Request) -> Response:
    """
    summary: Add a person or organisation to the directory (caseworker and up)
    tags: [contacts]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [kind, name], properties: {kind: {type: string, enum: [offender_manager, solicitor, prison, hospital, police_force, other]}, name: {type: string}, organisation: {type: string}, email: {type: string, format: email}, phone: {type: string}, address: {type: string}}}}}}
    responses:
      201: {description: 'The contact: {id, kind, name, organisation, email, phone, address, revision, created_at, created_by}'}
      403: {description: Needs caseworker or above}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    made = await contacts.create_contact(services(request).store, actor, await read_json(request))
    return JSONResponse(contacts.contact_view(made), status_code=201)


async def get_contact(request: Request) -> Response:
    """
    summary: Read a contact
    tags: [contacts]
    responses:
      200: {description: The contact}
      403: {description: External users have no directory}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    found = await contacts.get_contact(
        services(request).store, actor, request.path_params["contact_id"]
    )
    return JSONResponse(contacts.contact_view(found))


async def update_contact(request: Request) -> Response:
    """
    summary: Change a contact's details; an optional field sent as null is removed
    tags: [contacts]
    requestBody: {required: true, content: {application/json: {schema: {type: object, properties: {kind: {type: string}, name: {type: string}, organisation: {type: [string, "null"]}, email: {type: [string, "null"]}, phone: {type: [string, "null"]}, address: {type: [string, "null"]}}}}}}
    responses:
      200: {description: The contact}
      403: {description: Needs caseworker or above}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    changed = await contacts.update_contact(
        services(request).store, actor, request.path_params["contact_id"], await read_json(request)
    )
    return JSONResponse(contacts.contact_view(changed))


routes = [
    Route("/contacts", list_contacts, methods=["GET"]),
    Route("/contacts", create_contact, methods=["POST"]),
    Route("/contacts/{contact_id}", get_contact, methods=["GET"]),
    Route("/contacts/{contact_id}", update_contact, methods=["PATCH"]),
]
