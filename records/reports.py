"""The standard casework reports, over the cases the reader may see, as rows for CSV.

- cases by state and team: how much work is where;
- deadlines met and missed per month: how the unit keeps to its time limits
  (a task still open past its due time counts as missed in its month);
- documents awaited: for each open case, the document types its dossier
  needs that are not filed yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

from records import cases, documents, offenders, tasks, vocabulary
from records.actors import Actor
from records.errors import NotFound
from records.policy import Action, case_filter, require
from records.store import Store, as_utc, iso
from records.working_days import LONDON

Rows = list[dict[str, Any]]

# Reports read many records: past this many open cases, narrow by team.
MAX_CASES = 20_000


async def cases_by_state(store: Store, actor: Actor) -> Rows:
    key = {"team": "$team", "type": "$case_type", "state": "$state"}
    grouped = await store.db[cases.CASES].aggregate(
        [{"$match": case_filter(actor)}, {"$group": {"_id": key, "n": {"$sum": 1}}}]
    )
    rows = [
        {
            "team": g["_id"]["team"],
            "case_type": g["_id"]["type"],
            "state": g["_id"]["state"],
            "cases": g["n"],
        }
        async for g in grouped
    ]
    return sorted(rows, key=lambda r: (r["team"], r["case_type"], r["state"]))


async def deadlines_by_month(store: Store, actor: Actor) -> Rows:
    """Per team and month of the due date: met, missed, and still open past due."""
    now = store.now()
    visible = await tasks.task_query(store, actor)
    query = {"$and": [visible, {"state": {"$in": ["done", "open"]}}]}
    counted: Counter[tuple[str, str, str]] = Counter()
    found = store.db[tasks.TASKS].find(query, {"team": 1, "due_at": 1, "state": 1, "outcome": 1})
    async for task in found:
        due = as_utc(task["due_at"])
        if task["state"] == "open":
            if due >= now:
                continue  # not yet due: neither met nor missed
            outcome = "overdue"
        else:
            outcome = task.get("outcome") or "met"
        counted[(task["team"], due.astimezone(LONDON).strftime("%Y-%m"), outcome)] += 1

    months = sorted({(team, month) for team, month, _ in counted})
    return [
        {
            "team": team,
            "month": month,
            "met": counted[(team, month, "met")],
            "missed": counted[(team, month, "missed")],
            "open_past_due": counted[(team, month, "overdue")],
        }
        for team, month in months
    ]


async def documents_awaited(store: Store, actor: Actor) -> Rows:
    """Open cases lacking a document type their dossier needs, one row per missing type."""
    open_cases = {
        c["_id"]: c
        async for c in store.db[cases.CASES]
        .find({"$and": [case_filter(actor), {"ended": {"$ne": True}}]})
        .limit(MAX_CASES)
    }
    filed: dict[Any, set[str]] = {}
    grouped = await store.db[documents.DOCUMENTS].aggregate(
        [
            {"$match": {"case_id": {"$in": list(open_cases)}}},
            {"$group": {"_id": "$case_id", "types": {"$addToSet": "$doc_type"}}},
        ]
    )
    async for g in grouped:
        filed[g["_id"]] = set(g["types"])
    needs: dict[str, list[dict[str, Any]]] = {}
    rows = []
    for case_id, case in open_cases.items():
        kind = case["case_type"]
        if kind not in needs:
            needs[kind] = await vocabulary.dossier_requirements(store, kind)
        for needed in needs[kind]:
            if needed["code"] not in filed.get(case_id, set()):
                rows.append(
                    {
                        "case_id": str(case_id),
                        "case": case["title"],
                        "team": case["team"],
                        "case_type": kind,
                        "state": case["state"],
                        "awaiting": needed["label"],
                        "opened": iso(case["created_at"]),
                    }
                )
    return sorted(rows, key=lambda r: (r["team"], r["opened"], r["awaiting"]))


async def open_cases(store: Store, actor: Actor) -> Rows:
    """The home page's list of open cases, whole, with each offender's name and NOMS number."""
    found = [
        c
        async for c in store.db[cases.CASES]
        .find({"$and": [case_filter(actor), {"ended": {"$ne": True}}]})
        .sort("created_at", 1)
        .limit(MAX_CASES)
    ]
    people = {
        p["_id"]: p
        async for p in store.db[offenders.OFFENDERS].find(
            {"_id": {"$in": list({c["offender_id"] for c in found})}}
        )
    }
    rows = []
    for case in found:
        person = people.get(case["offender_id"], {})
        name = f"{person.get('family_name', '').upper()}, {person.get('given_names', '')}"
        rows.append(
            {
                "case_id": str(case["_id"]),
                "case": case["title"],
                "offender": name,
                "nomis_number": person.get("nomis_number", ""),
                "case_type": case["case_type"],
                "state": case["state"],
                "team": case["team"],
                "opened": iso(case["created_at"]),
            }
        )
    return rows


Report = Callable[[Store, Actor], Coroutine[Any, Any, Rows]]
# name: (title, columns, how it is made)
REPORTS: dict[str, tuple[str, tuple[str, ...], Report]] = {
    "cases-by-state": (
        "Cases by state and team",
        ("team", "case_type", "state", "cases"),
        cases_by_state,
    ),
    "deadlines-by-month": (
        "Deadlines met and missed per month",
        ("team", "month", "met", "missed", "open_past_due"),
        deadlines_by_month,
    ),
    "open-cases": (
        "Open cases",
        ("case_id", "case", "offender", "nomis_number", "case_type", "state", "team", "opened"),
        open_cases,
    ),
    "documents-awaited": (
        "Documents awaited",
        ("case_id", "case", "team", "case_type", "state", "awaiting", "opened"),
        documents_awaited,
    ),
}


async def run(store: Store, actor: Actor, name: str) -> tuple[str, tuple[str, ...], Rows]:
    """The report's title, columns and rows, over the cases the actor may see."""
    require(actor, Action.REPORTS_READ)
    if name not in REPORTS:
        raise NotFound(f"there is no report named {name[:40]!r}")
    title, columns, build = REPORTS[name]
    return title, columns, await build(store, actor)
