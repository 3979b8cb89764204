"""The browser's session: cookies, the signed-in actor, and CSRF tokens on every form.

A session is the records session (records.credentials) behind an HttpOnly
cookie, the same cookie the API accepts. Before sign-in, forms carry a token
that must match a cookie of its own (a double-submit token), so a page on
another site cannot sign someone in as somebody else either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from records import access, credentials
from records.actors import Actor
from records.errors import Unauthenticated
from server.auth import SESSION_COOKIE, client_ip
from server.state import services

FORM_COOKIE = "ppud_form"
PENDING_COOKIE = "ppud_pending"
FLASH_COOKIE = "ppud_flash"
CSRF_FIELD = "csrf_token"
FORM_LIFETIME = timedelta(hours=8)
_SCOPE_KEY = "ppud.web_session"

# The cookie names a message; the text is ours, so a cookie cannot put words on a page.
FLASH_MESSAGES = {
    "signed-out": "You have signed out.",
    "signed-in": "You have signed in.",
}


class CsrfRefused(Exception):
    """A form arrived without the token of the session (or of the sign-in) it came from."""


class SignInNeeded(Exception):
    """The page needs a signed-in user; the browser is sent to sign in."""


@dataclass(frozen=True)
class WebSession:
    actor: Actor
    csrf_token: str
    key: str


async def current(request: Request) -> WebSession | None:
    """The signed-in session, or None; looked up once per request."""
    cached = request.scope.get(_SCOPE_KEY)
    if isinstance(cached, WebSession):
        return cached
    key = request.cookies.get(SESSION_COOKIE)
    if not key:
        return None
    try:
        actor, csrf = await credentials.session_actor(
            services(request).store, key, idle=services(request).settings.session_idle
        )
    except Unauthenticated:
        return None
    store = services(request).store
    # Associations and shares are read on every request, as for the API.
    actor = await access.attach(store, actor.from_address(client_ip(request)))
    found = WebSession(actor, csrf, key)
    request.scope[_SCOPE_KEY] = found
    return found


def known(request: Request) -> WebSession | None:
    """The session if this request has already looked it up (error pages ask no database)."""
    cached = request.scope.get(_SCOPE_KEY)
    return cached if isinstance(cached, WebSession) else None


async def signed_in(request: Request) -> WebSession:
    found = await current(request)
    if found is None:
        raise SignInNeeded
    return found


def form_token(request: Request) -> str:
    """The pre-sign-in form token: the cookie's, or a new one that respond() must set."""
    token = request.cookies.get(FORM_COOKIE) or request.scope.get("ppud.new_form_token")
    if not token:
        token = secrets.token_urlsafe(24)
        request.scope["ppud.new_form_token"] = token
    return str(token)


async def read_form(request: Request, *, expected: str) -> FormData:
    """The submitted form, once its CSRF token proves it came from our page."""
    form = await request.form(max_files=0, max_fields=50, max_part_size=64 * 1024)
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise CsrfRefused
    return form


async def read_signed_in_form(request: Request) -> tuple[WebSession, FormData]:
    session = await signed_in(request)
    return session, await read_form(request, expected=session.csrf_token)


async def read_anonymous_form(request: Request) -> FormData:
    return await read_form(request, expected=request.cookies.get(FORM_COOKIE, ""))


def text(form: FormData, name: str, *, strip: bool = True) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, lifetime: timedelta
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        # Strict, as the API's contract asks: a page opened from a link on
        # another site (an e-mail, say) arrives signed out and asks to sign in,
        # and no request started elsewhere ever carries the session.
        samesite="strict",
        secure=not services(request).settings.development,
        path="/",
    )


def finish(request: Request, response: Response) -> Response:
    """Set the cookies this request decided on: a new form token, a flash message used up."""
    new_token = request.scope.get("ppud.new_form_token")
    if new_token:
        set_cookie(request, response, FORM_COOKIE, str(new_token), lifetime=FORM_LIFETIME)
    if request.scope.get("ppud.flash_shown"):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def take_flash(request: Request) -> str | None:
    message = FLASH_MESSAGES.get(request.cookies.get(FLASH_COOKIE, ""))
    if message is not None:
        request.scope["ppud.flash_shown"] = True
    return message


def flash(request: Request, response: Response, key: str) -> None:
    assert key in FLASH_MESSAGES, key
    set_cookie(request, response, FLASH_COOKIE, key, lifetime=timedelta(minutes=5))


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(c in value for c in "\r\n\t") or len(value) > 2000:
        return "/"
    return value
