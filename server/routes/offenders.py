"""Offender routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import offenders
from server.auth import authenticate
from server.routes._common import optional_if_match, page_response, paging, read_json
from server.state import services


def _offender_response(offender: dict[str, Any], *, status: int = 200) -> JSONResponse:
    # The ETag is the revision, to send back as If-Match with a change.
    view = offenders.offender_view(offender)
    return JSONResponse(view, status_code=status, headers={"ETag": f'"{view["revision"]}"'})


async def create_offender(request: Request) -> Response:
    """
    summary: Create an offender
    tags: [offenders]
    requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/OffenderInput"}}}}
    responses:
      201: {description: The new offender, content: {application/json: {schema: {$ref: "#/components/schemas/Offender"}}}}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    created = await offenders.create_offender(
        services(request).store, actor, await read_json(request)
    )
    return _offender_response(created, status=201)


async def list_offenders(request: Request) -> Response:
    """
    summary: Find offenders by name, alias or identifier
    tags: [offenders]
    parameters:
      - {name: q, in: query, schema: {type: string}}
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: A page of offenders, content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}}
    """
    actor = await authenticate(request)
    found = await offenders.search_offenders(
        services(request).store, actor, request.query_params.get("q"), **paging(request)
    )
    return page_response(found, offenders.offender_view)


async def get_offender(request: Request) -> Response:
    """
    summary: Read an offender
    tags: [offenders]
    responses:
      200: {description: The offender, content: {application/json: {schema: {$ref: "#/components/schemas/Offender"}}}}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    found = await offenders.get_offender(
        services(request).store, actor, request.path_params["offender_id"]
    )
    return _offender_response(found)


async def update_offender(request: Request) -> Response:
    """
    summary: Change an offender's details (If-Match optional)
    tags: [offenders]
    parameters:
      - {name: If-Match, in: header, required: false, schema: {type: string}, description: 'The revision read, as "3"; when sent, a stale one changes nothing'}
    requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/OffenderInput"}}}}
    responses:
      200: {description: The changed offender; ETag is its revision, content: {application/json: {schema: {$ref: "#/components/schemas/Offender"}}}}
      400: {$ref: "#/components/responses/Malformed"}
      404: {$ref: "#/components/responses/NotFound"}
      409: {description: 'Without If-Match, changed by someone else at the same moment'}
      412: {$ref: "#/components/responses/Stale"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    # If-Match is optional here (api.md never asked offenders for it), but honoured when sent.
    expected = optional_if_match(request)

    updated = await offenders.update_offender(
        services(request).store,
        actor,
        request.path_params["offender_id"],
        await read_json(request),
        expected_revision=expected,
    )
    return _offender_response(updated)


routes = [
    Route("/offenders", create_offender, methods=["POST"]),
    Route("/offenders", list_offenders, methods=["GET"]),
    Route("/offenders/{offender_id}", get_offender, methods=["GET"]),
    Route("/offenders/{offender_id}", update_offender, methods=["PATCH"]),
]
