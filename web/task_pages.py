"""The team's tasks in the browser: what is overdue and due soon, by team and assignee.

Caseworkers see their team's tasks; managers and administrators choose a
team to look at. records.tasks decides which tasks the user may see; this
page only gathers the filters and lays the list out soonest first.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from records import cases, tasks, user_admin
from records.errors import InvalidInput
from records.store import Store
from server.routes._common import csv_response
from server.state import services
from web import session
from web.forms import FormErrors
from web.page import page

TASKS_PER_PAGE = 200
DUE_CHOICES = {"": "All open", "overdue": "Overdue", "soon": "Due within a week"}


async def task_list(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    actor = signed_in.actor
    store = services(request).store
    errors = FormErrors()
    try:
        filters = _filters(request, may_choose_team=actor.level in ("manager", "admin"))
    except InvalidInput:
        errors.add("due", "Due must be overdue or soon; all open tasks are shown instead.")
        filters = {"due": None, "assignee": None, "team": None}

    found = await tasks.list_tasks(store, actor, limit=TASKS_PER_PAGE, **filters)
    # A page of ids, laid out soonest first: the order a team works through them.
    rows = sorted(found.items, key=lambda t: t["due_at"])
    chooses = actor.level in ("manager", "admin") and not actor.external
    listed = await user_admin.list_teams(store, actor) if chooses else []
    teams = [(t["name"], t["name"]) for t in listed]

    return await page(
        request,
        "tasks.html",
        tasks=await task_rows(store, rows),
        filters=filters,
        due_choices=DUE_CHOICES,
        teams=teams,
        more=found.next_cursor is not None,
        csv_query=str(request.query_params) if not errors else "",
        errors=errors,
        status=422 if errors else 200,
    )


async def task_csv(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    actor = signed_in.actor
    filters = _filters(request, may_choose_team=actor.level in ("manager", "admin"))
    text = await tasks.export_csv(services(request).store, actor, **filters)
    return csv_response(text, "tasks.csv")


def _filters(request: Request, *, may_choose_team: bool) -> dict[str, Any]:
    params = request.query_params
    due = params.get("due", "")
    if due not in DUE_CHOICES:
        raise InvalidInput.field("due", "must be overdue or soon")
    assignee = params.get("assignee", "").strip()[:64] or None
    team = params.get("team", "").strip()[:64] or None
    return {
        "due": due or None,
        "assignee": assignee,
        # Others see their own team's tasks (and cases shared with it) only.
        "team": team if may_choose_team else None,
    }


async def task_rows(store: Store, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks as the pages show them, each with its case's title to link to."""
    titles = {
        c["_id"]: c["title"]
        async for c in store.db[cases.CASES].find(
            {"_id": {"$in": list({t["case_id"] for t in found})}}, {"title": 1}
        )
    }
    now = store.now()
    return [
        {**tasks.task_view(t, now=now), "case_title": titles.get(t["case_id"], "")} for t in found
    ]


routes = [
    Route("/tasks", task_list, methods=["GET"], include_in_schema=False),
    Route("/tasks.csv", task_csv, methods=["GET"], include_in_schema=False),
]
