"""Cases: one piece of casework about one offender, owned by one team."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from records import audit, offenders, tasks, users, vocabulary, workflows, working_days
from records.actors import Actor
from records.errors import Forbidden, InvalidInput, NotFound
from records.folders import folder_view, list_folders
from records.paging import Page, check_limit, decode_cursor, encode_cursor, page
from records.policy import Action, can_see_case, case_filter, require
from records.store import Store, iso, parse_id
from records.validation import Fields

CASES = "cases"

# The state of a case whose type has no workflow definition.
INITIAL_STATE = "open"


async def create_case(store: Store, actor: Actor, data: Any) -> dict[str, Any]:
    # Asked first: someone who may not open cases learns that, not what they typed wrong.
    require(actor, Action.CASE_CREATE)
    fields = Fields(data)
    fields.unknown({"offender_id", "case_type", "title", "team"})
    offender_id = fields.text("offender_id", max_length=64)
    case_type = fields.text("case_type", max_length=64)
    title = fields.text("title", max_length=200)
    team = fields.text("team", required=False, max_length=64) or actor.team
    fields.check()
    assert offender_id and case_type and title

    offender = await _offender_for(store, offender_id)
    case = await new_case_record(store, actor, offender, case_type, title, team)
    result = await store.db[CASES].insert_one(case)
    made = await first_tasks(store, case)
    if made:
        await store.db[tasks.TASKS].insert_many(made)
    await audit.record(
        store,
        actor,
        "case.create",
        f"case:{result.inserted_id}",
        case_id=result.inserted_id,
        detail={"case_type": case["case_type"], "team": team},
    )
    return case


async def _workflow_start(store: Store, case_type: str) -> dict[str, Any]:
    """A new case starts in its type's newest workflow, at its initial state."""
    definition = await workflows.current(store, case_type)
    if definition is None:
        return {"state": INITIAL_STATE, "workflow": None, "state_seq": 0}
    return {
        "state": definition.initial,
        "workflow": {"id": definition.id, "version": definition.version},
        "state_seq": 0,
        "state_entered_at": store.now(),
    }


async def new_case_record(
    store: Store,
    actor: Actor,
    offender: dict[str, Any],
    case_type: str,
    title: str,
    team: str,
) -> dict[str, Any]:
    """A case as it would be stored, every rule checked, nothing written yet."""
    if not await users.team_exists(store, team):
        raise InvalidInput.field("team", f"there is no team named {team!r}")
    if not can_see_case(actor, {"team": team}):
        raise Forbidden(f"you may open cases only for your own team, {actor.team!r}")
    code = await vocabulary.resolve(store, "case_types", "case_type", case_type)
    return {
        "_id": ObjectId(),
        "offender_id": offender["_id"],
        "case_type": code,
        "title": title,
        "team": team,
        **await _workflow_start(store, code),
        "created_at": store.now(),
        "created_by": actor.username,
    }


async def first_tasks(store: Store, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The tasks the initial state's timers set (a recall's 24-hour assessment)."""
    if not case.get("workflow"):
        return []
    definition = await workflows.by_id(store, case["workflow"]["id"])
    return tasks.timer_tasks(
        definition,
        case,
        case["state"],
        entered_at=store.now(),
        on_date=None,
        calendar=await working_days.load(store),
    )


async def _offender_for(store: Store, offender_id: str) -> dict[str, Any]:
    found = None
    if ObjectId.is_valid(offender_id):
        found = await offenders.get_offender_by_oid(store, ObjectId(offender_id))
    if found is None:
        raise InvalidInput.field("offender_id", "no offender has that id")
    return found


async def get_case(
    store: Store, actor: Actor, case_id: str | ObjectId, *, action: Action = Action.CASE_READ
) -> dict[str, Any]:
    """The case if the actor may do action to it; NotFound if they may not see it."""
    oid = case_id if isinstance(case_id, ObjectId) else parse_id(case_id, kind="case")
    case = await store.db[CASES].find_one({"_id": oid})
    if case is None:
        raise NotFound.absent("case", case_id)
    require(actor, action, case, what="case", ident=case_id)
    return case


async def view_case(store: Store, actor: Actor, case_id: str) -> dict[str, Any]:
    """The case for reading, its consultation audited."""
    case = await get_case(store, actor, case_id)
    await audit.record(store, actor, "case.view", f"case:{case['_id']}", case_id=case["_id"])
    return case


async def list_cases(
    store: Store,
    actor: Actor,
    *,
    offender_id: str | None = None,
    team: str | None = None,
    state: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    require(actor, Action.CASE_READ, what="case")
    if offender_id:
        return await _cases_of_offender(
            store, actor, offender_id, team=team, state=state, limit=limit, cursor=cursor
        )
    clauses: list[dict[str, Any]] = [case_filter(actor)]
    if team:
        clauses.append({"team": team})
    if state:
        clauses.append({"state": state})
    return await page(store.db[CASES], {"$and": clauses}, limit=limit, cursor=cursor)


async def _cases_of_offender(
    store: Store,
    actor: Actor,
    offender_id: str,
    *,
    team: str | None,
    state: str | None,
    limit: int | None,
    cursor: str | None,
) -> Page:
    """One offender's cases the actor may see, found by the offender's index.

    The visibility clause and the offender's in one $and were answered by
    scanning every case (SecantusDB plans no index for a filter with a
    top-level operator), so the few cases of one offender are read through
    the index on offender_id alone and each is checked with can_see_case, the
    rule case_filter states as a query.
    """
    size = check_limit(limit)
    if not ObjectId.is_valid(offender_id):
        return Page([], None)
    query: dict[str, Any] = {"offender_id": ObjectId(offender_id)}
    if team:
        query["team"] = team
    if state:
        query["state"] = state
    if cursor:
        query["_id"] = {"$gt": decode_cursor(cursor)}

    found = store.db[CASES].find(query).sort("_id", 1)
    visible = [case async for case in found if can_see_case(actor, case)][: size + 1]
    items = visible[:size]
    return Page(items, encode_cursor(items[-1]["_id"]) if len(visible) > size else None)


def case_summary(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(case["_id"]),
        "offender_id": str(case["offender_id"]),
        "case_type": case["case_type"],
        "title": case["title"],
        "team": case["team"],
        "state": case["state"],
        "created_at": iso(case["created_at"]),
    }


async def case_detail(store: Store, case: dict[str, Any]) -> dict[str, Any]:
    """The case with its offender summary, folders, tasks and deadlines."""
    offender = await offenders.get_offender_by_oid(store, case["offender_id"])
    folders = await list_folders(store, case["_id"])
    open_tasks = await tasks.for_case(store, case)
    now = store.now()

    return {
        **case_summary(case),
        "offender": offenders.offender_summary(offender) if offender else None,
        "folders": [folder_view(f) for f in folders],
        "tasks": [tasks.task_view(t, now=now) for t in open_tasks],
        # The deadlines are the tasks the workflow's timers set, soonest first.
        "deadlines": [tasks.task_view(t, now=now) for t in open_tasks if t.get("timer")],
    }
