"""One way to answer with a page: the layout's context, the cookies, the headers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from web import session
from web.forms import FormErrors
from web.help_keys import help_key_for
from web.templating import render


async def page(request: Request, name: str, *, status: int = 200, **context: Any) -> Response:
    """The template filled in, with the signed-in user (if any) and a CSRF token for its forms."""
    signed_in = await session.current(request)
    return _respond(request, name, signed_in, status, context)


def error_page(request: Request, name: str, *, status: int, **context: Any) -> Response:
    """A page for an error: no database call, as the database may be what failed."""
    return _respond(request, name, session.known(request), status, context)


def _respond(
    request: Request,
    name: str,
    signed_in: session.WebSession | None,
    status: int,
    context: dict[str, Any],
) -> Response:
    base: dict[str, Any] = {
        "actor": signed_in.actor if signed_in else None,
        "csrf_token": signed_in.csrf_token if signed_in else session.form_token(request),
        "flash": session.take_flash(request),
        "errors": FormErrors(),
        "values": {},
        # A handler may name its screen's help page; otherwise the address decides.
        "help_key": help_key_for(request.url.path),
    }
    filled = base | context
    # GOV.UK's error pattern: the title starts "Error: " while any form on the
    # page shows an error summary; the layout adds it, so no page adds its own.
    filled["has_errors"] = any(isinstance(v, FormErrors) and v for v in filled.values())
    response = render(name, filled, status=status)
    return session.finish(request, response)
