"""Tasks and deadlines: set by a workflow's timers, or by hand, each linked to a case.

A timer's task is done when the case reaches the state that meets it (or
leaves the state that set it), and is then met or missed by its due time; a
case that ends (a terminal state) cancels what no longer applies. A task
made by hand is done by hand. The sweep marks what has fallen overdue.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, users, validation
from records.actors import Actor, level_rank
from records.errors import Conflict, InvalidInput, NotFound
from records.paging import MAX_LIMIT, Page, every_page, page
from records.policy import Action, allows, case_filter, require
from records.store import Store, as_utc, iso, parse_id
from records.validation import Fields
from records.workflows import Definition
from records.working_days import END_OF_DAY, LONDON, Calendar

logger = logging.getLogger(__name__)

TASKS = "tasks"
CASES = "cases"
DUE_SOON = timedelta(days=7)
CSV_COLUMNS = ("id", "case_id", "team", "title", "due_at", "state", "outcome", "assignee")


def timer_tasks(
    definition: Definition,
    case: dict[str, Any],
    state: str,
    *,
    entered_at: datetime,
    on_date: date | None,
    calendar: Calendar,
) -> list[dict[str, Any]]:
    """The tasks the definition's timers set on entering state."""
    made = []
    for number, timer in enumerate(definition.timers):
        if timer.on_enter != state:
            continue
        start = entered_at
        if timer.from_date and on_date is not None:
            # From the day the transition names (the return to custody), not the day it was keyed.
            start = datetime.combine(on_date, END_OF_DAY.replace(hour=12), LONDON)
        made.append(
            {
                "case_id": case["_id"],
                "team": case["team"],
                "title": timer.task,
                "due_at": calendar.due(start, timer.due),
                "state": "open",
                "outcome": None,
                "overdue": False,
                "assignee": None,
                "timer": {
                    "workflow_id": definition.id,
                    "number": number,
                    "set_on": state,
                    "done_on_enter": list(timer.done_on_enter),
                },
                "created_at": entered_at,
                "created_by": "workflow",
            }
        )
    return made


async def follow_transition(
    store: Store,
    case: dict[str, Any],
    left: str,
    entered: str,
    *,
    terminal: bool,
    by: str,
    session: AsyncClientSession,
) -> None:
    """Close the timer tasks the move meets, and cancel the rest when the case ends."""
    now = store.now()
    mine = {"case_id": case["_id"], "state": "open"}
    # Two flat filters rather than one $or: SecantusDB plans no index for a filter
    # with a top-level operator, and would scan every task of every case.
    meets = (
        {"timer.done_on_enter": entered},
        {"timer.done_on_enter": [], "timer.set_on": left},
    )
    closing = {"state": "done", "closed_at": now, "closed_by": by}
    for outcome, due in (("met", {"$gte": now}), ("missed", {"$lt": now})):
        for met_by in meets:
            await store.db[TASKS].update_many(
                mine | met_by | {"due_at": due},
                {"$set": {**closing, "outcome": outcome}},
                session=session,
            )
    if terminal:
        await store.db[TASKS].update_many(
            {"case_id": case["_id"], "state": "open", "timer": {"$ne": None}},
            {"$set": {"state": "cancelled", "closed_at": now, "closed_by": by}},
            session=session,
        )


# --- by hand ----------------------------------------------------------------


async def create(store: Store, actor: Actor, case: dict[str, Any], data: Any) -> dict[str, Any]:
    require(actor, Action.CASE_WRITE, case, what="case")
    fields = Fields(data)
    fields.unknown({"title", "due", "assignee"})
    title = fields.text("title", max_length=200)
    due = fields.date("due", required=True, earliest=store.now().date() - timedelta(days=1))
    assignee = fields.text("assignee", required=False, max_length=64)
    fields.check()
    assert title is not None and due is not None
    if assignee is not None:
        assignee = await _assignable(store, case, assignee)

    task = {
        "case_id": case["_id"],
        "team": case["team"],
        "title": title,
        "due_at": datetime.combine(date.fromisoformat(due), END_OF_DAY, LONDON),
        "state": "open",
        "outcome": None,
        "overdue": False,
        "assignee": assignee,
        "timer": None,
        "created_at": store.now(),
        "created_by": actor.username,
    }
    result = await store.db[TASKS].insert_one(task)
    await audit.record(
        store,
        actor,
        "task.create",
        f"task:{result.inserted_id}",
        case_id=case["_id"],
        detail={"title": title, "due": due, "assignee": assignee},
    )
    return task


async def _assignable(store: Store, case: dict[str, Any], username: str) -> str:
    user = await users.find_by_username(store, username)
    if user is None or user.get("disabled") or user.get("external"):
        raise InvalidInput.field("assignee", f"there is no active user named {username!r}")
    if user.get("team") != case["team"]:
        raise InvalidInput.field("assignee", f"{username} is not in team {case['team']}")
    if level_rank(user["level"]) < level_rank("caseworker"):
        # A viewer could not mark it done: the task would wait for nobody.
        raise InvalidInput.field("assignee", f"{username} is a viewer, who cannot do casework")
    return str(user["username"])


async def change(store: Store, actor: Actor, task_id: str, data: Any) -> dict[str, Any]:
    """Mark a task done, or (re)assign it within the case's team."""
    task = await _visible_task(store, actor, task_id)
    case = await store.db[CASES].find_one({"_id": task["case_id"]})
    assert case is not None
    require(actor, Action.CASE_WRITE, case, what="task", ident=task_id)
    fields = Fields(data)
    fields.unknown({"state", "assignee"})
    state = fields.text("state", required=False, max_length=20)
    assignee = fields.text("assignee", required=False, max_length=64)
    fields.check()
    if state not in (None, "done"):
        raise InvalidInput.field("state", "can only be set to done")
    changes: dict[str, Any] = {}
    if assignee is not None:
        changes["assignee"] = await _assignable(store, case, assignee)
    now = store.now()
    if state == "done":
        if task["state"] != "open":
            raise Conflict(f"the task is {task['state']} already")
        changes |= {
            "state": "done",
            "outcome": "met" if as_utc(task["due_at"]) >= now else "missed",
            "closed_at": now,
            "closed_by": actor.username,
        }
    if not changes:
        raise InvalidInput("nothing to change: send state done or an assignee")

    updated = await store.db[TASKS].find_one_and_update(
        {"_id": task["_id"], "state": task["state"]},
        {"$set": changes},
        return_document=ReturnDocument.AFTER,
    )
    if updated is None:
        raise Conflict("the task changed meanwhile; look at it again")
    await audit.record(
        store,
        actor,
        "task.change",
        f"task:{task['_id']}",
        case_id=task["case_id"],
        detail={k: v for k, v in changes.items() if k != "closed_at"},
    )
    return updated


async def _visible_task(store: Store, actor: Actor, task_id: str) -> dict[str, Any]:
    oid = parse_id(task_id, kind="task")
    task = await store.db[TASKS].find_one({"_id": oid})
    case = await store.db[CASES].find_one({"_id": task["case_id"]}) if task else None
    if task is None or case is None or not allows(actor, Action.CASE_READ, case):
        raise NotFound.absent("task", task_id)
    return task


# --- lists ------------------------------------------------------------------


async def list_tasks(
    store: Store,
    actor: Actor,
    *,
    case_id: str | None = None,
    team: str | None = None,
    assignee: str | None = None,
    due: str | None = None,
    state: str = "open",
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """Tasks of the cases the actor may see, soonest due first within a page of ids."""
    require(actor, Action.CASE_READ)
    if actor.external:
        return Page([], None)  # the team's work is not shown to external users
    query = await task_query(store, actor, case_id=case_id, team=team, assignee=assignee)
    if state not in ("open", "done", "cancelled", "any"):
        raise InvalidInput.field("state", "must be open, done, cancelled or any")
    if state != "any":
        query["state"] = state
    now = store.now()
    if due == "overdue":
        query["due_at"] = {"$lt": now}
    elif due == "soon":
        query["due_at"] = {"$gte": now, "$lt": now + DUE_SOON}
    elif due not in (None, ""):
        raise InvalidInput.field("due", "must be overdue or soon")
    return await page(store.db[TASKS], query, limit=limit, cursor=cursor)


async def export_csv(store: Store, actor: Actor, **filters: Any) -> str:
    """The tasks list_tasks would page through, as one CSV."""

    async def fetch(cursor: str | None) -> Page:
        return await list_tasks(store, actor, limit=MAX_LIMIT, cursor=cursor, **filters)

    return csv_text(await every_page(fetch), now=store.now())


async def task_query(
    store: Store,
    actor: Actor,
    *,
    case_id: str | None = None,
    team: str | None = None,
    assignee: str | None = None,
) -> dict[str, Any]:
    """Tasks of the cases the actor may see, narrowed by the filters given."""
    query: dict[str, Any] = {}
    if case_id:
        query["case_id"] = parse_id(case_id, kind="case")
    if team:
        query["team"] = team
    if assignee:
        query["assignee"] = assignee.strip().lower()
    visible = case_filter(actor)
    if visible:
        # Tasks carry their case's team, so the team part of the filter applies as is.
        if set(visible) == {"team"}:
            query = {"$and": [query, {"team": visible["team"]}]}
        else:
            seen = [c["_id"] async for c in store.db[CASES].find(visible, {"_id": 1})]
            query = {"$and": [query, {"case_id": {"$in": seen}}]}
    return query


async def upcoming(store: Store, actor: Actor, *, limit: int = 20) -> list[dict[str, Any]]:
    """The actor's team's open tasks that are overdue or due within a week, soonest first."""
    if actor.external:
        return []
    query = await task_query(store, actor)
    query = {"$and": [query, {"state": "open", "due_at": {"$lt": store.now() + DUE_SOON}}]}
    found = store.db[TASKS].find(query).sort("due_at", 1).limit(limit)
    return [t async for t in found]


async def for_case(store: Store, case: dict[str, Any]) -> list[dict[str, Any]]:
    found = store.db[TASKS].find({"case_id": case["_id"], "state": "open"}).sort("due_at", 1)
    return [t async for t in found.limit(200)]


def task_view(task: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    return {
        "id": str(task["_id"]),
        "case_id": str(task["case_id"]),
        "team": task["team"],
        "title": task["title"],
        "due_at": iso(task["due_at"]),
        "state": task["state"],
        "outcome": task.get("outcome"),
        "overdue": task["state"] == "open" and as_utc(task["due_at"]) < now,
        "assignee": task.get("assignee"),
        "from_workflow": task.get("timer") is not None,
        "created_at": iso(task["created_at"]),
        "created_by": task["created_by"],
    }


def csv_text(rows: list[dict[str, Any]], *, now: datetime) -> str:
    """Tasks as CSV; cells a spreadsheet would run as formulas are quoted with a '."""
    return validation.csv_text(CSV_COLUMNS, (task_view(t, now=now) for t in rows))


# --- the sweep --------------------------------------------------------------


async def sweep(store: Store) -> int:
    """Mark open tasks whose time has passed as overdue; how many were newly marked.

    The index on (state, overdue, due_at) makes this a range scan over just
    the tasks that fell due since the last sweep, so a sweep every half hour
    touches a handful of records however many cases are open; pages work
    out "overdue" from the due time themselves and never wait for a sweep.
    """
    now = store.now()
    marked = await store.db[TASKS].update_many(
        {"state": "open", "overdue": False, "due_at": {"$lt": now}},
        {"$set": {"overdue": True, "overdue_since": now}},
    )
    if marked.modified_count:
        logger.info("tasks.overdue", extra={"marked": marked.modified_count})
    return int(marked.modified_count)
