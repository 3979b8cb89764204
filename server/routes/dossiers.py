"""Dossiers are asked for here and built by a worker; jobs report how far they have got."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dossier_builder import templates
from dossier_builder.request import request_dossier
from dossier_builder.selection import propose
from records import cases, jobs, vocabulary
from records.errors import InvalidInput
from records.policy import Action, require
from server.auth import authenticate
from server.routes._common import optional_if_match, read_json
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


async def dossier_selection(request: Request) -> Response:
    """
    summary: A template applied to the case, as a dossier request to review and send back
    tags: [dossiers]
    parameters:
      - {name: template, in: query, required: true, schema: {type: string}}
    responses:
      200: {description: '{title, template, sections, options, unplaced, awaited}'}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    require(actor, Action.DOCUMENT_WRITE, case, what="case")
    name = request.query_params.get("template")
    if not name:
        raise InvalidInput.field("template", "name the template, as in ?template=recall")
    return JSONResponse(await propose(store, actor, case, name, review=True))


async def list_templates(request: Request) -> Response:
    """
    summary: The dossier templates in use
    tags: [dossiers]
    responses:
      200: {description: '{items: [template]}'}
      403: {description: Not for external users}
    """
    actor = await authenticate(request)
    # How dossiers are set up is internal, like workflows: external users never build one.
    require(actor, Action.LISTS_READ)
    found = await templates.list_templates(services(request).store)
    return JSONResponse({"items": [templates.template_view(t) for t in found]})


async def get_template(request: Request) -> Response:
    """
    summary: One dossier template
    tags: [dossiers]
    responses:
      200: {description: '{name, title, case_types, sections, options, revision, ...}'}
      403: {description: Not for external users}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    require(actor, Action.LISTS_READ)
    found = await templates.get_template(services(request).store, request.path_params["name"])
    return _template_answer(found)


async def put_template(request: Request) -> Response:
    """
    summary: Create or replace a dossier template (administrators)
    tags: [dossiers]
    parameters:
      - {name: If-Match, in: header, required: false, schema: {type: string}, description: 'Replace only this revision, as "3"'}
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [title, sections], properties: {title: {type: string}, case_types: {type: array, items: {type: string}}, sections: {type: array, items: {type: object, properties: {title: {type: string}, doc_types: {type: array, items: {type: string}}, sort: {type: string, enum: [document_date, document_date_desc, title, filed]}, divider: {type: boolean}}}}, options: {type: object}}}}}}
    responses:
      200: {description: The template as stored}
      403: {description: Only administrators change templates}
      412: {$ref: "#/components/responses/Stale"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    expected = optional_if_match(request)
    saved = await templates.put_template(
        services(request).store,
        actor,
        request.path_params["name"],
        await read_json(request),
        expected_revision=expected,
    )
    return _template_answer(saved)


async def retire_template(request: Request) -> Response:
    """
    summary: Retire a dossier template (administrators); dossiers built from it keep its name
    tags: [dossiers]
    responses:
      204: {description: Retired}
      403: {description: Only administrators change templates}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    expected = optional_if_match(request)
    await templates.retire_template(
        services(request).store, actor, request.path_params["name"], expected_revision=expected
    )
    return Response(status_code=204)


async def list_requirements(request: Request) -> Response:
    """
    summary: The document types each case type's dossier must hold
    tags: [dossiers]
    responses:
      200: {description: '{case_type: [{code, label}]}'}
      403: {description: Not for external users}
    """
    actor = await authenticate(request)
    require(actor, Action.LISTS_READ)
    return JSONResponse(await vocabulary.all_dossier_requirements(services(request).store))


async def put_requirements(request: Request) -> Response:
    """
    summary: Replace the document types a case type's dossier must hold (administrators)
    tags: [dossiers]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [doc_types], properties: {doc_types: {type: array, items: {type: string}}}}}}}
    responses:
      200: {description: '{case_type, doc_types: [{code, label}]}'}
      403: {description: Only administrators change what a dossier needs}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    case_type = request.path_params["case_type"]
    code, wanted = await vocabulary.set_dossier_requirements(
        services(request).store, actor, case_type, await read_json(request)
    )
    return JSONResponse({"case_type": code, "doc_types": wanted})


def _template_answer(template: dict[str, Any]) -> Response:
    return JSONResponse(
        templates.template_view(template), headers={"ETag": f'"{template["revision"]}"'}
    )


routes = [
    Route("/cases/{case_id}/dossiers", create_dossier, methods=["POST"]),
    Route("/cases/{case_id}/dossier-selection", dossier_selection, methods=["GET"]),
    Route("/jobs/{job_id}", get_job, methods=["GET"]),
    Route("/dossier-templates", list_templates, methods=["GET"]),
    Route("/dossier-templates/{name}", get_template, methods=["GET"]),
    Route("/dossier-templates/{name}", put_template, methods=["PUT"]),
    Route("/dossier-templates/{name}", retire_template, methods=["DELETE"]),
    Route("/dossier-requirements", list_requirements, methods=["GET"]),
    Route("/dossier-requirements/{case_type}", put_requirements, methods=["PUT"]),
]
