"""User and team management routes: administrators for everyone, managers for their team."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import user_admin
from server.auth import authenticate
from server.routes._common import page_response, paging, read_json
from server.state import services


async def list_users(request: Request) -> Response:
    """
    summary: List the users the caller manages
    description: Administrators see every user; managers the internal users of their own team at or below their level.
    tags: [users]
    parameters:
      - {name: team, in: query, schema: {type: string}}
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: A page of users, content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}}
      403: {description: Managing users needs manager or above}
    """
    actor = await authenticate(request)
    found = await user_admin.list_users(
        services(request).store, actor, team=request.query_params.get("team"), **paging(request)
    )
    return page_response(found, user_admin.managed_view)


async def create_user(request: Request) -> Response:
    """
    summary: Create a user at or below the caller's level
    description: Managers create users in their own team only; only administrators create external users. The caller's second factor is asked again (code). The new user enrols their own second factor at their first sign-in.
    tags: [users]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [username, level, code], properties: {username: {type: string}, level: {type: string, enum: [viewer, caseworker, manager, admin]}, team: {type: string}, external: {type: boolean}, organisation: {type: string}, password: {type: string}, code: {type: string, description: "the caller's current 6-digit code"}}}}}}
    responses:
      201: {description: The new user}
      403: {description: 'Not allowed to manage users, or to grant that level, team or kind, or the code is wrong'}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    made = await user_admin.create(store, actor, await read_json(request))
    created = await user_admin.managed_user(store, actor, made.id)
    return JSONResponse(user_admin.managed_view(created), status_code=201)


async def get_user(request: Request) -> Response:
    """
    summary: Read a user the caller manages
    tags: [users]
    responses:
      200: {description: The user}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    user = await user_admin.managed_user(
        services(request).store, actor, request.path_params["user_id"]
    )
    return JSONResponse(user_admin.managed_view(user))


async def change_user(request: Request) -> Response:
    """
    summary: Change a user's level or team, or disable or re-enable them
    description: Never to a level above the caller's, never one's own account. Disabling ends the user's sessions at once. The caller's second factor is asked again (code).
    tags: [users]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [code], properties: {level: {type: string}, team: {type: string}, disabled: {type: boolean}, code: {type: string}}}}}}
    responses:
      200: {description: The user}
      403: {description: 'Not allowed to grant that, or the code is wrong'}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    changed = await user_admin.change(
        services(request).store, actor, request.path_params["user_id"], await read_json(request)
    )
    return JSONResponse(user_admin.managed_view(changed))


async def unlock_user(request: Request) -> Response:
    """
    summary: Lift a user's sign-in lock-out
    tags: [users]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [code], properties: {code: {type: string}}}}}}
    responses:
      204: {description: Unlocked}
      403: {description: The code is wrong}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    await user_admin.unlock(
        services(request).store, actor, request.path_params["user_id"], await read_json(request)
    )
    return Response(status_code=204)


async def list_teams(request: Request) -> Response:
    """
    summary: List teams (administrators every team, managers their own)
    tags: [users]
    responses:
      200: {description: The teams}
      403: {description: Needs manager or above}
    """
    actor = await authenticate(request)
    found = await user_admin.list_teams(services(request).store, actor)
    return JSONResponse({"items": [user_admin.team_view(t) for t in found], "next_cursor": None})


async def create_team(request: Request) -> Response:
    """
    summary: Create a team (administrators)
    tags: [users]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [name, code], properties: {name: {type: string}, code: {type: string}}}}}}
    responses:
      201: {description: The new team}
      403: {description: 'Needs administrator, or the code is wrong'}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    team = await user_admin.create_team(services(request).store, actor, await read_json(request))
    return JSONResponse(user_admin.team_view(team), status_code=201)


routes = [
    Route("/users", list_users, methods=["GET"]),
    Route("/users", create_user, methods=["POST"]),
    Route("/users/{user_id}", get_user, methods=["GET"]),
    Route("/users/{user_id}", change_user, methods=["PATCH"]),
    Route("/users/{user_id}/unlock", unlock_user, methods=["POST"]),
    Route("/teams", list_teams, methods=["GET"]),
    Route("/teams", create_team, methods=["POST"]),
]
