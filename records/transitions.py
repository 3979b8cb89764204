"""Moving a case through its workflow: one transition at a time, atomically, audited.

Two people taking a transition at once: the case's state and its state
sequence number are the condition of the one update, so one wins and the
other is told where the case now stands. A refused transition names what is
missing (a reason, a date, a document type, a dossier).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, cases, tasks, vocabulary, workflows, working_days
from records.actors import Actor
from records.documents import DOCUMENTS
from records.errors import Conflict, Forbidden, InvalidInput, NotFound
from records.policy import Action, may_take_transition, require
from records.store import Store
from records.validation import Fields
from records.workflows import Definition, Transition

MAX_COMMENT = 1000


async def definition_for(store: Store, case: dict[str, Any]) -> Definition | None:
    if not case.get("workflow"):
        return None
    return await workflows.by_id(store, case["workflow"]["id"])


async def take(store: Store, actor: Actor, case_id: str, data: Any) -> dict[str, Any]:
    """Take the named transition from the case's current state; the case as it now is."""
    case = await cases.get_case(store, actor, case_id, action=Action.CASE_WRITE)
    fields = Fields(data)
    fields.unknown({"transition", "comment", "reason", "date"})
    code = fields.text("transition", max_length=64)
    comment = fields.text("comment", required=False, max_length=MAX_COMMENT)
    reason = fields.text("reason", required=False, max_length=MAX_COMMENT)
    on_date = fields.date("date")
    fields.check()
    assert code is not None

    definition = await definition_for(store, case)
    if definition is None:
        raise Conflict(f"{case['case_type']} cases have no workflow to move through")
    transition = definition.transition(code)
    if transition is None:
        raise InvalidInput.field(
            "transition", f"the {definition.label.lower()} workflow has no transition {code!r}"
        )
    if case["state"] not in transition.sources:
        raise Conflict(
            f"the case is {definition.label_of(case['state']).lower()}; "
            f"{transition.label.lower()!r} is taken from "
            + ", ".join(definition.label_of(s).lower() for s in transition.sources)
        )
    if not may_take_transition(actor, case, transition.level):
        raise Forbidden(f"{transition.label} needs a {transition.level} or above")
    _check_requirements(transition, reason=reason, on_date=on_date)
    if on_date is not None:
        _check_date(store, case, definition, transition, on_date)
    await _check_conditions(store, case, transition)

    calendar = await working_days.load(store)
    moment = store.now()

    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        updated = await store.db[cases.CASES].find_one_and_update(
            {"_id": case["_id"], "state": case["state"], "state_seq": case.get("state_seq", 0)},
            {
                "$set": {
                    "state": transition.target,
                    "state_entered_at": moment,
                    # Kept on the case so lists of open cases need no definition.
                    "ended": definition.is_terminal(transition.target),
                    # When each state was reached, by the date the user gave if any:
                    # retention schedules start from them (an absolute discharge).
                    f"state_dates.{transition.target}": on_date or moment.date().isoformat(),
                    **(
                        {
                            "last_event_date": {
                                "date": on_date,
                                "label": transition.date_label.lower(),
                            }
                        }
                        if on_date
                        else {}
                    ),
                },
                "$inc": {"state_seq": 1},
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if updated is None:
            now_in = await store.db[cases.CASES].find_one({"_id": case["_id"]}, session=session)
            where = definition.label_of(now_in["state"]).lower() if now_in else "gone"
            raise Conflict(f"the case moved on meanwhile: it is now {where}; look at it again")

        await tasks.follow_transition(
            store,
            updated,
            case["state"],
            transition.target,
            terminal=definition.is_terminal(transition.target),
            by=actor.username,
            session=session,
        )
        made = tasks.timer_tasks(
            definition,
            updated,
            transition.target,
            entered_at=moment,
            on_date=date.fromisoformat(on_date) if on_date else None,
            calendar=calendar,
        )
        if made:
            await store.db[tasks.TASKS].insert_many(made, session=session)
        await audit.record(
            store,
            actor,
            "case.transition",
            f"case:{case['_id']}",
            case_id=case["_id"],
            session=session,
            detail={
                "transition": code,
                "from": case["state"],
                "to": transition.target,
                "reason": reason,
                "date": on_date,
                "comment": comment,
            },
        )
        return updated

    return await store.transaction(apply)


def _check_date(
    store: Store, case: dict[str, Any], definition: Definition, transition: Transition, day: str
) -> None:
    """A date that makes sense: not yet to come, and not before the last date given.

    A revocation dated next year, or a return to custody dated 1900 after a
    revocation in 2026, would set deadlines that are meaningless or overdue
    at once. Only dates people gave are compared: a move keyed days after
    the event it records is normal.
    """
    today = store.now().astimezone(working_days.LONDON).date().isoformat()
    what = transition.date_label.lower()
    if day > today:
        raise InvalidInput.field("date", f"the {what} cannot be later than today, {today}")
    last = case.get("last_event_date")
    if isinstance(last, dict) and day < last["date"]:
        raise InvalidInput.field(
            "date", f"the {what} cannot be before {last['date']}, the {last['label']} given before"
        )


def _check_requirements(transition: Transition, *, reason: str | None, on_date: str | None) -> None:
    if "reason" in transition.requires and not reason:
        raise InvalidInput.field("reason", f"{transition.label} needs a reason")
    if "date" in transition.requires and not on_date:
        raise InvalidInput.field(
            "date", f"{transition.label} needs the {transition.date_label.lower()}"
        )


async def unmet_conditions(store: Store, case: dict[str, Any], transition: Transition) -> list[str]:
    """What must hold before the transition and does not, in words."""
    unmet = []
    if "mandatory_documents" in transition.conditions:
        needed = await vocabulary.dossier_requirements(store, case["case_type"])
        filed = set(await store.db[DOCUMENTS].distinct("doc_type", {"case_id": case["_id"]}))
        missing = [n["label"] for n in needed if n["code"] not in filed]
        if missing:
            unmet.append("these document types are not filed yet: " + ", ".join(missing))
    if "dossier_issued" in transition.conditions:
        built = await store.db[DOCUMENTS].count_documents(
            {"case_id": case["_id"], "doc_type": "dossier"}, limit=1
        )
        if not built:
            unmet.append("no dossier has been built for the case yet")
    return unmet


async def _check_conditions(store: Store, case: dict[str, Any], transition: Transition) -> None:
    unmet = await unmet_conditions(store, case, transition)
    if unmet:
        raise InvalidInput.field(
            "transition", f"{transition.label} cannot be taken yet: " + "; ".join(unmet)
        )


async def migrate(store: Store, actor: Actor, case_type: str, data: Any) -> dict[str, Any]:
    """Move running cases of one version onto the newest; those whose state it lacks stay."""
    require(actor, Action.WORKFLOWS_MANAGE)
    fields = Fields(data)
    fields.unknown({"from_version"})
    from_version = data.get("from_version")
    # bool is an int to Python; "true" is not a version.
    if not isinstance(from_version, int) or isinstance(from_version, bool) or from_version < 1:
        fields.fail("from_version", "must be a whole number from 1")
    fields.check()

    newest = await workflows.current(store, case_type)
    if newest is None:
        raise NotFound(f"{case_type[:64]!r} cases have no workflow")
    if from_version >= newest.version:
        raise InvalidInput.field("from_version", f"must be below the newest, {newest.version}")
    running = {"case_type": case_type, "workflow.version": from_version}
    kept = {"$in": list(newest.states)}

    moved = await store.db[cases.CASES].update_many(
        {**running, "state": kept},
        {"$set": {"workflow": {"id": newest.id, "version": newest.version}}},
    )
    stranded = await store.db[cases.CASES].distinct("state", running)
    await audit.record(
        store,
        actor,
        "workflow.migrate",
        f"workflow:{newest.id}",
        detail={
            "case_type": case_type,
            "from_version": from_version,
            "to_version": newest.version,
            "migrated": moved.modified_count,
            "left_in": sorted(stranded),
        },
    )
    return {
        "migrated": int(moved.modified_count),
        "to_version": newest.version,
        "left_in_states": sorted(stranded),
    }


async def workflow_summary(store: Store, actor: Actor, case: dict[str, Any]) -> dict[str, Any]:
    """The case's state in words, and the transitions the actor could take from it."""
    definition = await definition_for(store, case)
    if definition is None:
        return {"state_label": case["state"], "terminal": False, "transitions": []}
    available = [
        {
            "code": t.code,
            "label": t.label,
            "to": t.target,
            "requires": list(t.requires),
            "date_label": t.date_label,
            "allowed": may_take_transition(actor, case, t.level),
            "unmet": await unmet_conditions(store, case, t),
        }
        for t in definition.available(case["state"])
    ]
    return {
        "state_label": definition.label_of(case["state"]),
        "terminal": definition.is_terminal(case["state"]),
        "workflow": {"case_type": definition.case_type, "version": definition.version},
        "transitions": available,
    }
