"""Signing in and out, the caller's own identity, and bearer tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import credentials, users
from records.policy import Action, require
from records.validation import Fields
from server.auth import SESSION_COOKIE, authenticate, client_ip
from server.routes._common import read_json
from server.state import services


async def sign_in(request: Request) -> Response:
    """
    summary: Sign in with username, password and a TOTP code
    tags: [session]
    security: []
    requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/SignIn"}}}}
    responses:
      200: {description: Signed in; the session cookie is set}
      401: {description: Wrong credentials (one generic message)}
      429: {description: Locked out after repeated failures}
    """
    app = services(request)
    fields = Fields(await read_json(request))
    username = fields.text("username", max_length=64)
    password = fields.text("password", max_length=1024, strip=False)
    totp = fields.text("totp", max_length=12)
    fields.check()
    assert username and password and totp

    session = await credentials.sign_in(app.store, username, password, totp, ip=client_ip(request))
    response = JSONResponse(
        {
            "username": session.actor.username,
            "level": session.actor.level,
            "csrf_token": session.csrf_token,
        }
    )
    response.set_cookie(
        SESSION_COOKIE,
        session.key,
        max_age=int(session.expires_in.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=not app.settings.development,
        path="/",
    )
    return response


async def sign_out(request: Request) -> Response:
    """
    summary: Sign out of the browser session
    tags: [session]
    responses:
      204: {description: Signed out}
    """
    actor = await authenticate(request)
    key = request.cookies.get(SESSION_COOKIE)
    if key:
        await credentials.sign_out(services(request).store, actor, key)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def sign_out_everywhere(request: Request) -> Response:
    """
    summary: End every browser session of the signed-in user (bearer tokens are kept)
    tags: [session]
    responses:
      200: {description: '{ended: number of sessions ended}'}
      401: {description: Not signed in}
    """
    actor = await authenticate(request)
    ended = await credentials.sign_out_everywhere(services(request).store, actor)
    response = JSONResponse({"ended": ended})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def whoami(request: Request) -> Response:
    """
    summary: The signed-in user
    tags: [session]
    responses:
      200: {description: The user}
    """
    actor = await authenticate(request)
    user = await users.get_user(services(request).store, actor.id)
    return JSONResponse(users.user_view(user))


async def list_tokens(request: Request) -> Response:
    """
    summary: The caller's bearer tokens (never the secrets)
    tags: [session]
    responses:
      200: {description: The tokens}
    """
    actor = await authenticate(request)
    require(actor, Action.TOKENS_OWN)
    found = await credentials.list_tokens(services(request).store, actor.id)
    return JSONResponse({"items": found, "next_cursor": None})


async def revoke_token(request: Request) -> Response:
    """
    summary: Revoke one of the caller's tokens (an admin may revoke any)
    tags: [session]
    responses:
      204: {description: Revoked}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    require(actor, Action.TOKENS_OWN)
    await credentials.revoke_token(services(request).store, actor, request.path_params["token_id"])
    return Response(status_code=204)


routes = [
    Route("/session", sign_in, methods=["POST"]),
    Route("/session", sign_out, methods=["DELETE"]),
    Route("/sessions", sign_out_everywhere, methods=["DELETE"]),
    Route("/me", whoami, methods=["GET"]),
    Route("/tokens", list_tokens, methods=["GET"]),
    Route("/tokens/{token_id}", revoke_token, methods=["DELETE"]),
]
