"""Dossiers are asked for here and built by a worker; jobs report how far they have got."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dossier_builder.request import request_dossier
from records import cases, jobs
from records.policy import Action
from server.auth import authenticate
from server.routes._common import read_json
from server.state import services


async def create_dossier(request: Request) -> Response:
    """
    summary: Ask for a dossier of the case's documents (checked now, built by a worker)
    tags: [dossiers]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [title, sections], properties: {title: {type: string}, sections: {type: array, items: {type: object, properties: {title: {type: string}, divider: {type: boolean}, items: {type: array, items: {type: object, properties: {document_id: {type: string}, version: {type: integer}}}}}}}, options: {type: object, properties: {cover: {type: boolean}, marking: {type: string}, page_label: {type: string}, start_page: {type: integer}}}}}}}}
    responses:
      202: {description: 'The job: {job_id}; follow it at Location'}
      400: {$ref: "#/components/responses/Malformed"}
      403: {description: Building a dossier needs caseworker or above}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(
        store, actor, request.path_params["case_id"], action=Action.DOCUMENT_WRITE
    )
    job = await request_dossier(store, actor, case, await read_json(request))
    job_id = str(job["_id"])
    return JSONResponse(
        {"job_id": job_id}, status_code=202, headers={"Location": f"/api/v1/jobs/{job_id}"}
    )


async def get_job(request: Request) -> Response:
    """
    summary: A job's state and progress
    tags: [dossiers]
    responses:
      200: {description: '{id, kind, state, progress, message, result, error}'}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    job = await jobs.get_job(services(request).store, actor, request.path_params["job_id"])
    return JSONResponse(jobs.job_view(job))


routes = [
    Route("/cases/{case_id}/dossiers", create_dossier, methods=["POST"]),
    Route("/jobs/{job_id}", get_job, methods=["GET"]),
]
