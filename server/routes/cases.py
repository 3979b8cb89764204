"""Case and folder routes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import access, cases, documents, folders, transitions
from records.actors import Actor
from records.store import Store
from server.auth import authenticate
from server.routes._common import page_response, paging, read_json
from server.state import services


async def create_case(request: Request) -> Response:
    """
    summary: Open a case for an offender
    tags: [cases]
    requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/CaseInput"}}}}
    responses:
      201: {description: The new case, content: {application/json: {schema: {$ref: "#/components/schemas/Case"}}}}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    created = await cases.create_case(store, actor, await read_json(request))
    return JSONResponse(await _detail(store, actor, created), status_code=201)


async def list_cases(request: Request) -> Response:
    """
    summary: List the cases the caller may see
    tags: [cases]
    parameters:
      - {name: offender_id, in: query, schema: {type: string}}
      - {name: team, in: query, schema: {type: string}}
      - {name: state, in: query, schema: {type: string}}
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: A page of cases, content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}}
    """
    actor = await authenticate(request)
    params = request.query_params
    found = await cases.list_cases(
        services(request).store,
        actor,
        offender_id=params.get("offender_id"),
        team=params.get("team"),
        state=params.get("state"),
        **paging(request),
    )
    return page_response(found, cases.case_summary)


async def get_case(request: Request) -> Response:
    """
    summary: Read a case with its offender, folders, tasks and deadlines
    tags: [cases]
    responses:
      200: {description: The case, content: {application/json: {schema: {$ref: "#/components/schemas/Case"}}}}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.view_case(store, actor, request.path_params["case_id"])
    return JSONResponse(await _detail(store, actor, case))


async def _detail(store: Store, actor: Actor, case: dict[str, Any]) -> dict[str, Any]:
    """The case with its workflow: the state in words and the transitions open to the caller."""
    return {
        **await cases.case_detail(store, case),
        "workflow": await transitions.workflow_summary(store, actor, case),
    }


async def take_transition(request: Request) -> Response:
    """
    summary: Move the case through its workflow
    description: Atomic; of two people taking a transition at once one wins and the other gets 409 saying where the case now is. Refused with 422 naming a missing reason or date or an unmet condition (mandatory document types, a dossier built); 403 when the caller's level is below the transition's.
    tags: [cases]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [transition], properties: {transition: {type: string}, comment: {type: string}, reason: {type: string}, date: {type: string, format: date}}}}}}
    responses:
      200: {description: The case, content: {application/json: {schema: {$ref: "#/components/schemas/Case"}}}}
      403: {description: Not allowed to take this transition}
      404: {$ref: "#/components/responses/NotFound"}
      409: {$ref: "#/components/responses/Conflict"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    moved = await transitions.take(
        store, actor, request.path_params["case_id"], await read_json(request)
    )
    return JSONResponse(await _detail(store, actor, moved))


async def create_folder(request: Request) -> Response:
    """
    summary: Add a folder to a case
    tags: [cases]
    requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/FolderInput"}}}}
    responses:
      201: {description: The new folder, content: {application/json: {schema: {$ref: "#/components/schemas/Folder"}}}}
      404: {$ref: "#/components/responses/NotFound"}
      409: {$ref: "#/components/responses/Conflict"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    created = await folders.create_folder(store, actor, case, await read_json(request))
    return JSONResponse(folders.folder_view(created), status_code=201)


async def list_case_documents(request: Request) -> Response:
    """
    summary: List a case's documents, in filing order (paged)
    tags: [documents]
    parameters:
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: The case's documents, content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    found = await documents.list_case_documents(store, actor, case, **paging(request))
    now = store.now()
    return page_response(found, lambda d: documents.document_view(d, now=now))


async def associate(request: Request) -> Response:
    """
    summary: Associate an external user to the case, optionally until a date
    tags: [external users]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [user_id], properties: {user_id: {type: string}, until: {type: string, format: date}}}}}}
    responses:
      201: {description: 'The association: {case_id, user_id, username, until, active, created_by, created_at}'}
      403: {description: Associating needs caseworker or above}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    made = await access.associate(store, actor, case, await read_json(request))
    return JSONResponse(access.association_view(made, now=store.now()), status_code=201)


async def list_associations(request: Request) -> Response:
    """
    summary: The external users associated to the case
    tags: [external users]
    responses:
      200: {description: '{items: [association]}'}
      403: {description: Needs caseworker or above}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    found = await access.list_associations(store, actor, case)
    now = store.now()
    return JSONResponse({"items": [access.association_view(a, now=now) for a in found]})


async def end_association(request: Request) -> Response:
    """
    summary: End an external user's association at once
    tags: [external users]
    responses:
      204: {description: Ended; the user's next request no longer reaches the case}
      403: {description: Needs caseworker or above}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    await access.end(store, actor, case, request.path_params["user_id"])
    return Response(status_code=204)


async def share_case(request: Request) -> Response:
    """
    summary: Share the case with another team, to read, for a purpose and optionally until a date
    tags: [cases]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [team, purpose], properties: {team: {type: string}, purpose: {type: string}, until: {type: string, format: date}}}}}}
    responses:
      201: {description: 'The share: {case_id, team, purpose, until, active, created_by, created_at}'}
      403: {description: Sharing needs caseworker or above in the owning team}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    made = await access.share(store, actor, case, await read_json(request))
    return JSONResponse(access.share_view(made, now=store.now()), status_code=201)


async def list_shares(request: Request) -> Response:
    """
    summary: The teams the case is shared with
    tags: [cases]
    responses:
      200: {description: '{items: [share]}'}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    found = await access.list_shares(store, actor, case)
    now = store.now()
    return JSONResponse({"items": [access.share_view(s, now=now) for s in found]})


async def unshare_case(request: Request) -> Response:
    """
    summary: Stop sharing the case with a team, at once
    tags: [cases]
    responses:
      204: {description: Ended}
      403: {description: Needs caseworker or above in the owning team}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    await access.unshare(store, actor, case, request.path_params["team"])
    return Response(status_code=204)


routes = [
    Route("/cases", create_case, methods=["POST"]),
    Route("/cases", list_cases, methods=["GET"]),
    Route("/cases/{case_id}", get_case, methods=["GET"]),
    Route("/cases/{case_id}/folders", create_folder, methods=["POST"]),
    Route("/cases/{case_id}/transitions", take_transition, methods=["POST"]),
    Route("/cases/{case_id}/documents", list_case_documents, methods=["GET"]),
    Route("/cases/{case_id}/associations", associate, methods=["POST"]),
    Route("/cases/{case_id}/shares", share_case, methods=["POST"]),
    Route("/cases/{case_id}/shares", list_shares, methods=["GET"]),
    Route("/cases/{case_id}/shares/{team}", unshare_case, methods=["DELETE"]),
    Route("/cases/{case_id}/associations", list_associations, methods=["GET"]),
    Route("/cases/{case_id}/associations/{user_id}", end_association, methods=["DELETE"]),
]
