"""Why a record has the disposition it has: every rule that matches it, and the one that governs.

Computed for one document by the same expressions evaluation uses, with its
case's facts as they are now, so what is shown is what the next run stores.
"""

from __future__ import annotations

from typing import Any

from records import documents
from records.actors import Actor
from records.documents import DOCUMENTS
from records.policy import Action
from records.store import Store, as_utc, iso
from retention import evaluate
from retention import rules as schedule
from retention.review import queue_item


async def explain(store: Store, actor: Actor, document_id: str) -> dict[str, Any]:
    document, case = await documents.load(store, actor, document_id, Action.RETENTION_REVIEW)
    rules = schedule.precedence(
        [r for r in await schedule.all_rules(store) if r.record_class == "documents"]
    )
    facts, slots = await evaluate.case_facts(store, rules, {"_id": case["_id"]})

    candidates: dict[str, Any] = {
        rule.code: {
            "$cond": [
                {"$and": evaluate.conditions(rule, evaluate.trigger_date(rule, slots))},
                evaluate.governing_rule([rule], slots, store.now())["$switch"]["branches"][0][
                    "then"
                ],
                None,
            ]
        }
        for rule in rules
    }
    pipeline = [
        {"$match": {"_id": document["_id"]}},
        evaluate.prepare(rules),
        {"$set": {"facts": {"$literal": facts[0] if facts else None}}},
        {"$project": {"candidates": candidates or {"none": None}}},
    ]
    found = await (await store.db[DOCUMENTS].aggregate(pipeline)).to_list()
    matched = [
        {
            "rule": code,
            "specificity": next(r.specificity for r in rules if r.code == code),
            "action": value["action"],
            "trigger_date": as_utc(value["trigger_date"]).date().isoformat(),
            "due": as_utc(value["due"]).date().isoformat(),
        }
        for code, value in (found[0]["candidates"] if found else {}).items()
        if value is not None and code != "none"
    ]
    order = [r.code for r in rules]
    matched.sort(key=lambda m: order.index(m["rule"]))
    stored = document.get("disposition") or {}
    return {
        **queue_item(document),
        "governing_rule": matched[0]["rule"] if matched else None,
        "matching_rules": matched,
        "evaluated_at": iso(stored["evaluated_at"]) if stored.get("evaluated_at") else None,
        "why": _why(matched),
    }


def _why(matched: list[dict[str, Any]]) -> str:
    if not matched:
        return "no retention rule matches this record with a date it has"
    if len(matched) == 1:
        return f"only {matched[0]['rule']} matches"
    others = ", ".join(m["rule"] for m in matched[1:])
    return f"{matched[0]['rule']} is the most specific of the rules that match (also {others})"
