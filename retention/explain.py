"""Why a record has the disposition it has: every rule that matches it, and the one that governs.

Computed for one document by the same expressions evaluation uses, with its
case's facts as they are now, so what is shown is what the next run stores.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from records import documents
from records.actors import Actor
from records.documents import DOCUMENTS
from records.policy import Action
from records.store import Store, as_utc, iso
from retention import current, expressions, holds, rule_store
from retention import rules as schedule
from retention.evaluate import DISPOSITIONS
from retention.review import is_due, queue_item, retained_past


async def explain(store: Store, actor: Actor, document_id: str) -> dict[str, Any]:
    document, case = await documents.load(store, actor, document_id, Action.RETENTION_REVIEW)
    (document,) = await holds.with_holds(store, [document])
    rules = schedule.precedence(
        [r for r in await rule_store.all_rules(store) if r.record_class == "documents"]
    )
    facts, slots = await expressions.case_facts(store, rules, {"_id": case["_id"]})

    candidates: dict[str, Any] = {
        rule.code: {
            "$cond": [
                {"$and": expressions.conditions(rule, expressions.trigger_date(rule, slots))},
                expressions.governing_rule([rule], slots, store.now())["$switch"]["branches"][0][
                    "then"
                ],
                None,
            ]
        }
        for rule in rules
    }
    pipeline = [
        {"$match": {"_id": document["_id"]}},
        expressions.prepare(rules),
        {"$set": {"facts": {"$literal": facts[0] if facts else None}}},
        # "_none" holds the place of an empty projection: no rule code can begin with "_".
        {"$project": {"candidates": candidates or {"_none": None}}},
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
        if value is not None and code != "_none"
    ]
    order = [r.code for r in rules]
    matched.sort(key=lambda m: order.index(m["rule"]))
    standing = await current.disposition_of(store, document)
    evaluated = await store.db[DISPOSITIONS].find_one({"_id": case["_id"]}, {"evaluated_at": 1})
    return {
        **queue_item(document | {"disposition": standing}),
        "state": record_state(document, standing, now=store.now()),
        "governing_rule": matched[0]["rule"] if matched else None,
        "matching_rules": matched,
        # When evaluation last looked at the record's case (what the queue finds it by).
        "evaluated_at": iso(evaluated["evaluated_at"]) if evaluated else None,
        "why": _why(matched),
    }


def record_state(document: dict[str, Any], standing: dict[str, Any], *, now: datetime) -> str:
    """Where the record stands today, as the queue would put it, for any record, due or not.

    The queue lists only what is due, so its items say "due" when no decision
    or hold says otherwise (review.queue_item); a record looked up by id may
    have no rule, be due only later, or be retained past today.
    """
    review = document.get("review") or {}
    # A decision or a run wrote it: proposed, approved, blocked, destroying, transferred.
    if review.get("state"):
        return str(review["state"])
    if document.get("held_by"):
        return "held"
    if not standing:
        return "no_rule"

    if retained_past(document, now.date()):
        return "retained"
    return "due" if is_due(standing, now.date()) else "not_due"


def _why(matched: list[dict[str, Any]]) -> str:
    if not matched:
        return "no retention rule matches this record with a date it has"
    if len(matched) == 1:
        return f"only {matched[0]['rule']} matches"
    others = ", ".join(m["rule"] for m in matched[1:])
    return f"{matched[0]['rule']} is the most specific of the rules that match (also {others})"
