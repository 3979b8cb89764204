"""Offender routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import offenders
from server.auth import authenticate
from server.routes._common import page_response, paging, read_json
from server.state import services


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
    return JSONResponse(offenders.offender_view(created), status_code=201)


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
    return JSONResponse(offenders.offender_view(found))


async def update_offender(request: Request) -> Response:
    """
    summary: Change an offender's details
    tags: [offenders]
    requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/OffenderInput"}}}}
    responses:
      200: {description: The changed offender, content: {application/json: {schema: {$ref: "#/components/schemas/Offender"}}}}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    updated = await offenders.update_offender(
        services(request).store,
        actor,
        request.path_params["offender_id"],
        await read_json(request),
    )
    return JSONResponse(offenders.offender_view(updated))


routes = [
    Route("/offenders", create_offender, methods=["POST"]),
    Route("/offenders", list_offenders, methods=["GET"]),
    Route("/offenders/{offender_id}", get_offender, methods=["GET"]),
    Route("/offenders/{offender_id}", update_offender, methods=["PATCH"]),
]
