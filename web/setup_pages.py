"""The set-up link's page: the first administrator's username, team and password.

The second factor is then enrolled as at any first sign-in (web.signin's
enrolment page, then the recovery codes), and the administrator arrives
signed in on the home page. One who leaves before enrolling is offered it
again at their next sign-in, as a user created with
--enrol-on-first-sign-in is.
"""

from __future__ import annotations

import logging
from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import credentials, setup
from records.errors import InvalidInput
from server.auth import client_ip
from server.state import services
from web import session
from web.casework import add_problems
from web.forms import FormErrors
from web.page import page

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("username", "team")
LABELS = {"username": "Username", "team": "Team name", "password": "Password"}
MAX_FIELD = 1024


async def setup_form(request: Request) -> Response:
    """The form, while the link can still create the first administrator."""
    token = request.path_params["token"]
    expires_at = await setup.check_link(services(request).store, token)

    return await _form(request, token, expires_at, FormErrors(), {}, status=200)


async def create_admin(request: Request) -> Response:
    """The administrator created and the link used up; on to enrolling the second factor."""
    token = request.path_params["token"]
    store = services(request).store
    # The form's token first, as on every form; then whether the link still works.
    form = await session.read_anonymous_form(request)
    expires_at = await setup.check_link(store, token)
    values = {name: session.text(form, name) for name in TEXT_FIELDS}
    password = session.text(form, "password", strip=False)
    again = session.text(form, "password_confirm", strip=False)

    errors = _missing(values, password, again)
    if not errors:
        try:
            created = await setup.create_first_admin(
                store,
                token,
                username=values["username"],
                team=values["team"],
                password=password,
                ip=client_ip(request),
            )
        except InvalidInput as exc:
            add_problems(errors, exc, ids={name: name for name in LABELS}, labels=LABELS)
    if errors:
        return await _form(request, token, expires_at, errors, values, status=422)

    logger.info("setup.admin_created", extra={"user_id": created.id})
    pending = await credentials.begin_enrolment(store, created.id)
    response = RedirectResponse("/sign-in/enrol", status_code=303)
    session.set_cookie(
        request,
        response,
        session.PENDING_COOKIE,
        pending.key,
        lifetime=credentials.PENDING_LIFETIME,
    )
    return response


def _missing(values: dict[str, str], password: str, again: str) -> FormErrors:
    """What the form lacks before any rule is weighed: empty fields, passwords that differ."""
    errors = FormErrors()
    if not values["username"]:
        errors.add("username", "Enter a username")
    if not values["team"]:
        errors.add("team", "Enter a team name")
    if not password:
        errors.add("password", "Enter a password")
    elif len(password) > MAX_FIELD:
        errors.add("password", f"Password must be {MAX_FIELD} characters or fewer")
    if not again:
        errors.add("password_confirm", "Enter the password again")
    elif password and again != password:
        errors.add("password_confirm", "The passwords do not match")
    return errors


async def _form(
    request: Request,
    token: str,
    expires_at: datetime,
    errors: FormErrors,
    values: dict[str, str],
    *,
    status: int,
) -> Response:
    response = await page(
        request,
        "setup.html",
        status=status,
        errors=errors,
        values=values,
        token=token,
        expires_at=expires_at,
    )
    # The address holds the token: no Referer carries it anywhere, this site included.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


routes = [
    Route("/setup/{token}", setup_form, methods=["GET"], include_in_schema=False),
    Route("/setup/{token}", create_admin, methods=["POST"], include_in_schema=False),
]
