"""Errors as GOV.UK-style pages for the browser; the API keeps its problem+json answers.

Domain errors become answers in one place (server/problems.py): this module
wraps those handlers, so a page path gets a page and an API path gets the
problem document it always had. No page ever shows a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Scope

from records import errors
from web.forms import sentence
from web.page import error_page, page
from web.session import CsrfRefused, SignInNeeded
from web.templating import render

logger = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]

_NOT_PAGES = ("/api/", "/healthz", "/readyz")

_PAGES: dict[int, tuple[str, list[str]]] = {
    400: ("There is a problem with the link", ["The address or form was not one PPUD can use."]),
    403: ("You cannot do this", ["Your account does not allow it."]),
    404: (
        "Page not found",
        [
            "If you typed the web address, check it is correct.",
            "If you followed a link to a case or a document, you may not have access to it.",
        ],
    ),
    405: ("Page not found", ["If you typed the web address, check it is correct."]),
    409: ("Someone else changed this", ["Go back, reload the page and try again."]),
    410: ("This link no longer works", ["A one-time link works once, and for a short time."]),
    429: ("Too many attempts", ["Wait a few minutes and try again."]),
    500: ("Sorry, there is a problem with the service", ["Try again later."]),
    503: ("Sorry, the service is unavailable", ["Try again in a few minutes."]),
}


def is_page(path: str) -> bool:
    return not path.startswith(_NOT_PAGES)


def _status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, errors.Forbidden):
        return 403
    if isinstance(exc, errors.NotFound):
        return 404
    if isinstance(exc, errors.Conflict):
        return 409
    if isinstance(exc, errors.Gone):
        return 410
    if isinstance(exc, errors.TooManyAttempts):
        return 429
    if isinstance(exc, (errors.InvalidInput, errors.MalformedInput)):
        return 400
    if isinstance(exc, (errors.Unavailable, ConnectionFailure, ServerSelectionTimeoutError)):
        return 503
    return 500


def sign_in_redirect(request: Request) -> Response:
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/sign-in" if request.method != "GET" or wanted == "/" else wanted
    if target == "/sign-in":
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse(f"/sign-in?next={quote(target, safe='/')}", status_code=303)


async def page_for(request: Request, exc: Exception) -> Response:
    if isinstance(exc, (SignInNeeded, errors.Unauthenticated)):
        return sign_in_redirect(request)
    if isinstance(exc, CsrfRefused):
        return await page(
            request,
            "error.html",
            status=403,
            heading="This form has expired",
            paragraphs=[
                "PPUD could not be sure the form came from your PPUD page, so nothing was changed.",
                "Go back, reload the page and try again.",
            ],
            reference=None,
        )
    status = _status_of(exc)
    if status >= 500:
        logger.error("page failed: %s", type(exc).__name__)
    heading, paragraphs = _PAGES.get(status, _PAGES[500])
    if isinstance(
        exc, (errors.Forbidden, errors.Gone, errors.InvalidInput, errors.TooManyAttempts)
    ):
        # Says what was refused (a filter in the address, a right the account lacks),
        # what to do instead (a one-time link that no longer works) or how long to wait.
        paragraphs = [sentence(exc.detail)]
    shown = {"heading": heading, "paragraphs": paragraphs, "reference": None}
    if status >= 500:
        # The database may be what failed: this page asks it nothing, not even who is signed in.
        return error_page(request, "error.html", status=status, **shown)
    answer = await page(request, "error.html", status=status, **shown)
    if isinstance(exc, errors.TooManyAttempts):
        answer.headers["Retry-After"] = str(exc.retry_after)
    return answer


def for_pages(handlers: dict[Any, Handler]) -> dict[Any, Handler]:
    """The app's handlers, each answering a page path with a page."""

    def wrap(original: Handler) -> Handler:
        async def handle(request: Request, exc: Exception) -> Response:
            if is_page(request.url.path):
                return await page_for(request, exc)
            return await original(request, exc)

        return handle

    wrapped = {key: wrap(handler) for key, handler in handlers.items()}
    # Raised only by page routes; the API never sees them.
    wrapped[SignInNeeded] = page_for
    wrapped[CsrfRefused] = page_for
    return wrapped


def crash_page(scope: Scope, request_id: str) -> Response | None:
    """The last-resort page for a crash on a page path; None leaves it to the API's answer."""
    if not is_page(scope["path"]):
        return None
    heading, paragraphs = _PAGES[500]
    context: dict[str, Any] = {
        "actor": None,
        "csrf_token": "",
        "flash": None,
        "errors": None,
        "has_errors": False,
        "values": {},
        "heading": heading,
        "paragraphs": paragraphs,
        "reference": request_id,
    }
    return render("error.html", context, status=500)
