"""Signing in (password, then a code), first-sign-in enrolment, and signing out."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from records import credentials
from records.errors import Conflict, TooManyAttempts, Unauthenticated
from server.auth import SESSION_COOKIE, client_ip
from server.state import services
from web import session
from web.forms import FormErrors, sentence
from web.page import page
from web.qr import grouped, qr_svg

MAX_USERNAME = 64
MAX_PASSWORD = 1024
MAX_CODE = 32


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _with_next(path: str, next_path: str) -> str:
    return path if next_path == "/" else f"{path}?next={quote(next_path, safe='/')}"


async def sign_in_form(request: Request) -> Response:
    """The first step of signing in, username and password."""
    next_path = session.safe_next(request.query_params.get("next"))
    if await session.current(request) is not None:
        return _redirect(next_path)
    return await page(request, "sign_in.html", next=next_path)


async def sign_in(request: Request) -> Response:
    """The password checked; on to the code, or to enrolling a factor."""
    form = await session.read_anonymous_form(request)
    username = session.text(form, "username")
    password = session.text(form, "password", strip=False)
    next_path = session.safe_next(session.text(form, "next"))

    errors = FormErrors()
    if not username:
        errors.add("username", "Enter your username")
    elif len(username) > MAX_USERNAME:
        errors.add("username", f"Username must be {MAX_USERNAME} characters or fewer")
    if not password:
        errors.add("password", "Enter your password")
    elif len(password) > MAX_PASSWORD:
        errors.add("password", f"Password must be {MAX_PASSWORD} characters or fewer")
    status = 422
    if not errors:
        try:
            pending = await credentials.begin_sign_in(
                services(request).store, username, password, ip=client_ip(request)
            )
        except Unauthenticated:
            errors.add("username", "Enter a correct username and password")
            status = 401
        except TooManyAttempts as exc:
            errors.add("username", sentence(exc.detail))
            status = 429
    if errors:
        values = {"username": username}
        return await page(
            request, "sign_in.html", status=status, errors=errors, values=values, next=next_path
        )

    step = "/sign-in/enrol" if pending.enrolling else "/sign-in/code"
    response = _redirect(_with_next(step, next_path))
    session.set_cookie(
        request,
        response,
        session.PENDING_COOKIE,
        pending.key,
        lifetime=credentials.PENDING_LIFETIME,
    )
    return response


def _pending_key(request: Request) -> str:
    key = request.cookies.get(session.PENDING_COOKIE)
    if not key:
        raise session.SignInNeeded
    return key


async def code_form(request: Request) -> Response:
    """The second step, the code from the authenticator app (or a recovery code)."""
    _pending_key(request)
    next_path = session.safe_next(request.query_params.get("next"))
    return await page(request, "sign_in_code.html", next=next_path)


async def code(request: Request) -> Response:
    """The code checked; the session opens."""
    form = await session.read_anonymous_form(request)
    key = _pending_key(request)
    entered = session.text(form, "code")
    next_path = session.safe_next(session.text(form, "next"))

    errors = FormErrors()
    status = 422
    if not entered:
        errors.add("code", "Enter your security code")
    elif len(entered) > MAX_CODE:
        errors.add("code", "Enter the 6-digit code from your authenticator app")
    else:
        try:
            opened = await credentials.finish_sign_in(
                services(request).store, key, entered, ip=client_ip(request)
            )
        except TooManyAttempts as exc:
            errors.add("code", sentence(exc.detail))
            status = 429
        except Unauthenticated as exc:
            if exc.detail != credentials.WRONG_CODE:
                raise session.SignInNeeded from exc
            errors.add("code", "The security code is not right, or it has been used already")
            status = 401
    if errors:
        values = {"code": entered}
        return await page(
            request,
            "sign_in_code.html",
            status=status,
            errors=errors,
            values=values,
            next=next_path,
        )

    response = _redirect(next_path)
    _open(request, response, opened)
    return response


def _open(request: Request, response: Response, opened: credentials.NewSession) -> None:
    session.set_cookie(request, response, SESSION_COOKIE, opened.key, lifetime=opened.expires_in)
    response.delete_cookie(session.PENDING_COOKIE, path="/")


async def enrol_form(request: Request) -> Response:
    """A first sign-in: a new TOTP secret as a QR code and as text."""
    next_path = session.safe_next(request.query_params.get("next"))
    return await _enrol_page(request, next_path, FormErrors(), "", status=200)


async def _enrol_page(
    request: Request, next_path: str, errors: FormErrors, entered: str, *, status: int
) -> Response:
    try:
        offered = await credentials.pending_enrolment(
            services(request).store, _pending_key(request)
        )
    except Unauthenticated as exc:
        raise session.SignInNeeded from exc
    return await page(
        request,
        "enrol.html",
        status=status,
        errors=errors,
        values={"code": entered},
        next=next_path,
        username=offered.username,
        qr_svg=qr_svg(offered.provisioning_uri, title="QR code for your PPUD account"),
        secret_groups=grouped(offered.secret),
    )


async def enrol(request: Request) -> Response:
    """The first code proves the app holds the secret; the recovery codes are shown, once."""
    form = await session.read_anonymous_form(request)
    key = _pending_key(request)
    entered = session.text(form, "code")
    next_path = session.safe_next(session.text(form, "next"))

    errors = FormErrors()
    status = 422
    if not entered:
        errors.add("code", "Enter the 6-digit code from your authenticator app")
    elif not entered.isdigit() or len(entered) != 6:
        errors.add("code", "The code must be 6 digits, like 123456")
    else:
        try:
            opened, codes = await credentials.finish_enrolment(
                services(request).store, key, entered, ip=client_ip(request)
            )
        except TooManyAttempts as exc:
            errors.add("code", sentence(exc.detail))
            status = 429
        except Conflict as exc:
            raise session.SignInNeeded from exc
        except Unauthenticated as exc:
            if exc.detail != credentials.WRONG_CODE:
                raise session.SignInNeeded from exc
            errors.add("code", "The code is not right: enter the code the app shows now")
            status = 401
    if errors:
        return await _enrol_page(request, next_path, errors, entered, status=status)

    # Shown in this answer and never again: only their hashes are kept.
    request.scope["ppud.web_session"] = session.WebSession(
        opened.actor, opened.csrf_token, opened.key
    )
    response = await page(request, "recovery_codes.html", codes=codes, next=next_path)
    _open(request, response, opened)
    return response


async def sign_out_form(request: Request) -> Response:
    """A page with the sign-out button, for a browser that follows a link to sign out."""
    if await session.current(request) is None:
        return _redirect("/sign-in")
    return await page(request, "sign_out.html")


async def sign_out(request: Request) -> Response:
    """The records session ends; the browser forgets its cookie."""
    signed_in, _ = await session.read_signed_in_form(request)
    await credentials.sign_out(services(request).store, signed_in.actor, signed_in.key)
    response = _redirect("/sign-in")
    response.delete_cookie(SESSION_COOKIE, path="/")
    session.flash(request, response, "signed-out")
    return response
