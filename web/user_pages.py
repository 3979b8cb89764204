"""Managing users in the browser: the list, adding a user, changing one, lifting a lock-out.

records.user_admin applies every rule (who manages whom, which levels may
be given) and asks the second factor again; these pages only gather the
form and show what was refused, next to the field it concerns.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import user_admin
from records.actors import LEVELS, Actor, level_rank
from records.errors import Forbidden, InvalidInput
from server.state import services
from web import session
from web.casework import add_problems
from web.forms import FormErrors, sentence
from web.page import page

USERS_PER_PAGE = 50
NEW_FIELDS = ("username", "level", "team", "password", "organisation", "code")
NEW_IDS = {name: name for name in NEW_FIELDS} | {"external": "external"}
CHANGE_IDS = {"level": "level", "team": "team", "disabled": "disabled", "code": "code"}


async def list_users(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    found = await user_admin.list_users(
        services(request).store,
        signed_in.actor,
        limit=USERS_PER_PAGE,
        cursor=request.query_params.get("cursor") or None,
    )
    return await page(
        request,
        "users.html",
        users=[user_admin.managed_view(u) for u in found.items],
        next_cursor=found.next_cursor,
    )


async def new_user_form(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    return await _new_form(request, signed_in.actor)


async def new_user(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    values = {name: session.text(form, name, strip=name != "password") for name in NEW_FIELDS}
    external = session.text(form, "external") == "yes"
    body: dict[str, Any] = {
        "username": values["username"],
        "level": values["level"],
        "team": values["team"] or actor.team,
        "external": external,
        "code": values["code"],
    }
    if values["password"]:
        body["password"] = values["password"]
    if values["organisation"]:
        body["organisation"] = values["organisation"]

    errors = FormErrors()
    try:
        made = await user_admin.create(services(request).store, actor, body)
    except InvalidInput as exc:
        add_problems(errors, exc, ids=NEW_IDS)
    except Forbidden as exc:
        # A level or team the actor may not give, or a wrong code.
        errors.add("code" if "code" in exc.detail else "level", sentence(exc.detail))
    else:
        return RedirectResponse(f"/users/{made.id}?done=created", status_code=303)
    values["password"] = values["code"] = ""  # never sent back into the page
    return await _new_form(request, actor, errors=errors, values=values, status=422)


async def _new_form(
    request: Request,
    actor: Actor,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    teams = await user_admin.list_teams(services(request).store, actor)
    return await page(
        request,
        "user_new.html",
        status=status,
        errors=errors or FormErrors(),
        values=values or {"level": "caseworker", "team": actor.team},
        levels=_levels_for(actor),
        teams=[(t["name"], t["name"]) for t in teams],
        may_create_external=actor.level == "admin",
    )


async def user_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    return await _user_page(request, signed_in.actor, request.path_params["user_id"])


async def change_user(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    user_id = request.path_params["user_id"]
    user = await user_admin.managed_user(services(request).store, actor, user_id)
    wanted = {
        "level": session.text(form, "level") or user["level"],
        "team": session.text(form, "team") or user.get("team", ""),
        "disabled": session.text(form, "disabled") == "yes",
    }
    current = {
        "level": user["level"],
        "team": user.get("team", ""),
        "disabled": bool(user.get("disabled")),
    }
    # Only what the form changes is sent, so an unchanged level is not re-granted.
    body: dict[str, Any] = {n: v for n, v in wanted.items() if current[n] != v}

    errors = FormErrors()
    if not body:
        errors.add("level", "Change the level, the team or whether the account is disabled")
    else:
        try:
            await user_admin.change(
                services(request).store,
                actor,
                user_id,
                {**body, "code": session.text(form, "code")},
            )
        except InvalidInput as exc:
            add_problems(errors, exc, ids=CHANGE_IDS)
        except Forbidden as exc:
            errors.add("code" if "code" in exc.detail else "level", sentence(exc.detail))
        else:
            return RedirectResponse(f"/users/{user_id}?done=changed", status_code=303)
    # What they chose stays chosen, so correcting the code is all a retry needs.
    return await _user_page(request, actor, user_id, errors=errors, chosen=wanted, status=422)


async def unlock_user(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    user_id = request.path_params["user_id"]
    errors = FormErrors()
    try:
        await user_admin.unlock(
            services(request).store,
            signed_in.actor,
            user_id,
            {"code": session.text(form, "unlock-code")},
        )
    except (InvalidInput, Forbidden) as exc:
        errors.add("unlock-code", sentence(exc.detail))
    else:
        return RedirectResponse(f"/users/{user_id}?done=unlocked", status_code=303)
    return await _user_page(request, signed_in.actor, user_id, unlock_errors=errors, status=422)


async def _user_page(
    request: Request,
    actor: Actor,
    user_id: str,
    *,
    errors: FormErrors | None = None,
    unlock_errors: FormErrors | None = None,
    chosen: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    store = services(request).store
    user = await user_admin.managed_user(store, actor, user_id)
    teams = await user_admin.list_teams(store, actor)
    shown = user_admin.managed_view(user)
    return await page(
        request,
        "user.html",
        status=status,
        user=shown,
        chosen=chosen or shown,
        errors=errors or FormErrors(),
        unlock_errors=unlock_errors or FormErrors(),
        levels=_levels_for(actor),
        teams=[(t["name"], t["name"]) for t in teams],
        done=request.query_params.get("done", ""),
        yourself=str(user["_id"]) == actor.id,
    )


def _levels_for(actor: Actor) -> list[tuple[str, str]]:
    """The levels the actor may give: their own and those below it."""
    return [(lv, lv.capitalize()) for lv in LEVELS if level_rank(lv) <= level_rank(actor.level)]


routes = [
    Route("/users", list_users, methods=["GET"], include_in_schema=False),
    Route("/users/new", new_user_form, methods=["GET"], include_in_schema=False),
    Route("/users/new", new_user, methods=["POST"], include_in_schema=False),
    Route("/users/{user_id}", user_page, methods=["GET"], include_in_schema=False),
    Route("/users/{user_id}", change_user, methods=["POST"], include_in_schema=False),
    Route("/users/{user_id}/unlock", unlock_user, methods=["POST"], include_in_schema=False),
]
