"""The online help pages: reading a screen's help, and an administrator rewriting it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import help_pages
from records.errors import InvalidInput, StaleRevision
from records.policy import Action, allows, require
from server.state import services
from web import session
from web.casework import add_problems, check_token
from web.forms import FormErrors
from web.markdown import render
from web.page import page

# Markdown's punctuation is sent percent-encoded: three bytes for one character.
MAX_FORM_BYTES = 4 * help_pages.MAX_MARKDOWN


async def help_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    key = request.path_params["key"]
    found = await help_pages.get_page(services(request).store, signed_in.actor, key)
    return await page(
        request,
        "help.html",
        help=help_pages.page_view(found),
        html=render(found["markdown"]),
        may_edit=allows(signed_in.actor, Action.HELP_EDIT),
        saved=request.query_params.get("done") == "saved",
        help_key=key,
    )


async def edit_form(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    require(signed_in.actor, Action.HELP_EDIT)
    key = request.path_params["key"]
    found = await help_pages.get_page(services(request).store, signed_in.actor, key)
    values = {"markdown": found["markdown"], "revision": str(found["revision"])}
    return await _edit_page(request, found, values=values)


async def save(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    actor = signed_in.actor
    # The token first, as on every form: a forged post learns nothing, not even a refusal.
    form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM_BYTES)
    check_token(form, signed_in.csrf_token)
    require(actor, Action.HELP_EDIT)
    key = request.path_params["key"]
    store = services(request).store
    found = await help_pages.get_page(store, actor, key)
    values = {
        "markdown": session.text(form, "markdown", strip=False),
        "revision": session.text(form, "revision"),
    }

    errors = FormErrors()
    if session.text(form, "action") == "preview":
        return await _edit_page(request, found, values=values, preview=True)
    revision = values["revision"]
    try:
        await help_pages.put_page(
            store,
            actor,
            key,
            {"markdown": values["markdown"]},
            expected_revision=int(revision) if revision.isdigit() and len(revision) < 10 else 0,
        )
    except InvalidInput as exc:
        add_problems(errors, exc, ids={"markdown": "markdown"})
    except StaleRevision:
        errors.add(
            "markdown",
            "Someone else changed this help page since you opened it. Your text is kept: "
            "check it against theirs, shown below, and save again.",
        )
        # Saving again goes over the version now shown.
        values["revision"] = str(found["revision"])
        return await _edit_page(
            request, found, values=values, errors=errors, theirs=True, status=409
        )
    else:
        return RedirectResponse(f"/help/{key}?done=saved", status_code=303)
    return await _edit_page(request, found, values=values, errors=errors, status=422)


async def _edit_page(
    request: Request,
    found: dict[str, Any],
    *,
    values: dict[str, str],
    errors: FormErrors | None = None,
    preview: bool = False,
    theirs: bool = False,
    status: int = 200,
) -> Response:
    return await page(
        request,
        "help_edit.html",
        status=status,
        help=help_pages.page_view(found),
        values=values,
        errors=errors or FormErrors(),
        preview=render(values["markdown"]) if preview else None,
        theirs=render(found["markdown"]) if theirs else None,
        max_characters=help_pages.MAX_MARKDOWN,
        help_key=found["_id"],
    )


routes = [
    Route("/help/{key}", help_page, methods=["GET"], include_in_schema=False),
    Route("/help/{key}/edit", edit_form, methods=["GET"], include_in_schema=False),
    Route("/help/{key}/edit", save, methods=["POST"], include_in_schema=False),
]
