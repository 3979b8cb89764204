"""Who is calling: a bearer token, or a browser session with its CSRF token."""

from __future__ import annotations

import secrets

from starlette.requests import Request

from records import access, credentials
from records.actors import Actor
from records.errors import Forbidden, Unauthenticated
from server.state import services

SESSION_COOKIE = "ppud_session"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def authenticate(request: Request) -> Actor:
    """The signed-in actor, or Unauthenticated; cached on the request."""
    cached = request.scope.get("ppud.actor")
    if isinstance(cached, Actor):
        return cached

    store = services(request).store
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        actor = await credentials.actor_for_token(store, token.strip())
    elif key := request.cookies.get(SESSION_COOKIE):
        idle = services(request).settings.session_idle
        actor, csrf = await credentials.session_actor(store, key, idle=idle)
        sent = request.headers.get(CSRF_HEADER, "")
        if request.method not in _SAFE_METHODS and not secrets.compare_digest(sent, csrf):
            raise Forbidden("this request needs the session's CSRF token in X-CSRF-Token")
    else:
        raise Unauthenticated("sign in, or send Authorization: Bearer <token>")

    actor = await access.attach(store, actor.from_address(client_ip(request)))
    request.scope["ppud.actor"] = actor
    return actor
