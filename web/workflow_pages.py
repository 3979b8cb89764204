"""Workflows and bank holidays in the browser, for administrators.

The page lists each case type's workflow versions with how many cases run
on each, lets an administrator download a version as YAML, import an
edited one, move running cases onto the newest, and replace a year's bank
holidays. records.workflows, records.transitions and records.working_days
check everything; these handlers gather the forms and show what was wrong.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import cases, transitions, workflows, working_days
from records.actors import Actor
from records.errors import Conflict, InvalidInput, NotFound
from records.policy import Action, require
from records.store import Store
from server.state import services
from web import session
from web.forms import FormErrors, sentence
from web.page import page

DONE = {
    "imported": "The new version is in use for new cases.",
    "migrated": "The running cases were moved onto the newest version.",
    "holidays": "The bank holidays were saved. New deadlines count them from now on.",
}


async def workflow_list(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    return await _render(request, signed_in.actor)


async def export_version(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    case_type = request.path_params["case_type"]
    raw = request.path_params["version"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise NotFound(f"there is no version {raw[:20]!r} of the {case_type[:64]!r} workflow")
    stored = await workflows.get_version(
        services(request).store, signed_in.actor, case_type, int(raw)
    )
    name = f"{stored['case_type']}-v{stored['version']}.yaml"
    return Response(
        workflows.export_yaml(stored),
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def import_version(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    # Asked first: someone who may not import learns that, not what was wrong with the text.
    require(actor, Action.WORKFLOWS_MANAGE)
    text = session.text(form, "definition", strip=False)

    errors = FormErrors()
    if not text.strip():
        errors.add("definition", "Paste the workflow definition, as YAML.")
    else:
        try:
            await workflows.import_yaml(services(request).store, actor, text)
        except (InvalidInput, Conflict) as exc:
            errors.add("definition", sentence(exc.detail))
        else:
            return RedirectResponse("/workflows?done=imported", status_code=303)
    return await _render(request, actor, errors=errors, values={"definition": text}, status=422)


async def migrate(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    require(actor, Action.WORKFLOWS_MANAGE)
    case_type = request.path_params["case_type"]
    raw = session.text(form, "from_version")

    errors = FormErrors()
    try:
        version = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else None
        await transitions.migrate(
            services(request).store, actor, case_type, {"from_version": version}
        )
    except (InvalidInput, NotFound) as exc:
        errors.add(f"migrate-{case_type}", sentence(exc.detail))
        return await _render(request, actor, errors=errors, status=422)
    return RedirectResponse("/workflows?done=migrated", status_code=303)


async def set_holidays(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    require(actor, Action.WORKFLOWS_MANAGE)
    values = {"year": session.text(form, "year"), "days": session.text(form, "days")}

    errors = FormErrors()
    year = values["year"]
    if not (year.isascii() and year.isdigit() and len(year) == 4):
        errors.add("year", "Enter the year as four digits, such as 2027.")
    else:
        try:
            await working_days.set_year(
                services(request).store, actor, int(year), {"days": _days(values["days"])}
            )
        except InvalidInput as exc:
            problems = exc.errors or []
            detail = "; ".join(f"{p.field} {p.message}" for p in problems) or exc.detail
            errors.add("days", sentence(detail))
        else:
            return RedirectResponse("/workflows?done=holidays", status_code=303)
    return await _render(request, actor, errors=errors, values=values, status=422)


def _days(text: str) -> list[dict[str, Any]]:
    """One "YYYY-MM-DD Name" a line; the records layer checks each date and name."""
    days: list[dict[str, Any]] = []
    for line in text.splitlines():
        if line.strip():
            day, _, name = line.strip().partition(" ")
            days.append({"date": day, "name": name.strip() or None})
    return days


async def _render(
    request: Request,
    actor: Actor,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    require(actor, Action.WORKFLOWS_MANAGE)
    store = services(request).store
    found = await workflows.list_definitions(store, actor)
    types: dict[str, list[dict[str, Any]]] = {}
    for stored in found:  # newest first within each case type
        versions = types.setdefault(stored["case_type"], [])
        count = await _running(store, stored, newest=not versions)
        versions.append({**stored, "running": count})
    years = await working_days.bank_holidays(store, actor)

    return await page(
        request,
        "workflows.html",
        status=status,
        types=types,
        years=years,
        done=DONE.get(request.query_params.get("done", "")),
        errors=errors or FormErrors(),
        values=values or {},
    )


async def _running(store: Store, stored: dict[str, Any], newest: bool) -> int | None:
    """Open cases still on an older version: the ones a migration would move.

    Not counted for the newest version, where every new case starts: that
    count grows with the whole caseload and would slow the page with it.
    """
    if newest:
        return None
    on_it = {"case_type": stored["case_type"], "workflow.version": stored["version"]}
    return await store.db[cases.CASES].count_documents({**on_it, "ended": {"$ne": True}})


routes = [
    Route("/workflows", workflow_list, methods=["GET"], include_in_schema=False),
    Route("/workflows", import_version, methods=["POST"], include_in_schema=False),
    Route(
        "/workflows/{case_type}/versions/{version}.yaml",
        export_version,
        methods=["GET"],
        include_in_schema=False,
    ),
    Route("/workflows/{case_type}/migrations", migrate, methods=["POST"], include_in_schema=False),
    Route("/bank-holidays", set_holidays, methods=["POST"], include_in_schema=False),
]
