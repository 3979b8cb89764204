"""Evaluation: every document's disposition date and the rule that set it, computed in MongoDB.

Cases are taken in batches of _id ranges. For each batch:

1. Case facts: the cases' aggregation picks each trigger date the rules
   need (its offender's dates passed in as a literal map, looked up with
   $getField) and converts them to dates. They are kept in a derived
   collection, written only where they changed.
2. Documents of those cases: one aggregation joins each to its case's facts
   (the same literal map), chooses the governing rule with one $switch over
   the rules in precedence order, and writes the result back ($merge) only
   where the rule, action or date changed.

A run after an earlier one with the same rules looks only at the documents
of cases whose facts changed and at documents changed since (updated_at),
so the periodic run reads little and writes nothing when nothing changed.

Measured on the embedded server (SecantusDB 0.7), per document: a write
about 0.25 to 0.75 ms, an aggregation stage about 0.1 ms, a $lookup about
0.3 ms, a $getField into a literal map next to nothing; hence the maps
instead of $lookup. Its $merge with a pipeline in whenMatched left $$new
unset, so the written shape is a plain "merge" of one top-level field,
`disposition`, which nothing else writes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import AutoReconnect

from records.cases import CASES
from records.documents import DOCUMENTS
from records.offenders import OFFENDERS
from records.store import Store
from retention import rules as schedule
from retention.rules import Rule

logger = logging.getLogger(__name__)

FACTS = "retention_case_facts"
EVALUATIONS = "retention_evaluations"
# Cases per batch: about 20 documents each in the benchmark, so 10,000 documents.
# Batches of 100 cases were several times slower at 100,000 documents (each
# command's fixed cost on the embedded server); see BATCH_ATTEMPTS for larger.
BATCH = 500
BATCH_ATTEMPTS = 3

_UNIT = {"days": "day", "months": "month", "years": "year"}
# Named triggers read from the case's facts, and where each fact comes from.
_CASE_FACTS = {
    "case_closed": {"$cond": [{"$eq": ["$ended", True]}, "$state_entered_at", None]},
    "sentence_expiry_date": "$offender.sentence_expiry_date",
    "licence_expiry_date": "$offender.licence_expiry_date",
    "date_of_death": "$offender.date_of_death",
    "date_of_birth": "$offender.date_of_birth",
}
_DOCUMENT_FACTS = {"document_date": "$document_date", "last_activity": "$updated_at"}


@dataclass(frozen=True)
class Evaluation:
    id: ObjectId
    at: datetime
    changed: int
    rules: int


def as_date(expression: Any) -> dict[str, Any]:
    """A stored date (a datetime, or YYYY-MM-DD text) as a date; anything else as null."""
    converted = {"$convert": {"input": expression, "to": "date", "onError": None, "onNull": None}}
    # $ifNull also turns a missing field into null, which $ne compares as a value.
    return {"$ifNull": [converted, None]}


def _slot(trigger: str, slots: dict[str, str]) -> str:
    return slots.setdefault(trigger, f"t{len(slots)}")


def _fact_source(trigger: str) -> Any:
    if trigger in _CASE_FACTS:
        return _CASE_FACTS[trigger]
    kind, _, path = trigger.partition(".")
    return f"${path}" if kind == "case" else f"$offender.{path}"


def case_facts_pipeline(
    rules: list[Rule], offenders: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Stages turning a case into its facts: type, offender and each trigger date used."""
    slots: dict[str, str] = {}
    dates: dict[str, Any] = {
        _slot(r.trigger, slots): as_date(_fact_source(r.trigger))
        for r in rules
        if r.trigger not in _DOCUMENT_FACTS
    }
    offender = {
        "$getField": {"field": {"$toString": "$offender_id"}, "input": {"$literal": offenders}}
    }
    stages: list[dict[str, Any]] = [
        {"$set": {"offender": offender}},
        {"$project": {"case_type": 1, "offender_id": 1, "dates": dates or {"none": None}}},
    ]
    return stages, slots


def _offender_fields(rules: list[Rule]) -> dict[str, int]:
    """The offender fields the rules' triggers read (their first level)."""
    fields = {"_id": 1}
    for rule in rules:
        source = _fact_source(rule.trigger) if rule.trigger not in _DOCUMENT_FACTS else None
        if isinstance(source, str) and source.startswith("$offender."):
            fields[source.removeprefix("$offender.").split(".")[0]] = 1
    return fields


async def case_facts(
    store: Store, rules: list[Rule], case_match: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The facts of the cases matching case_match (one batch), and the trigger slots."""
    offender_ids = await store.db[CASES].distinct("offender_id", case_match)
    offenders = {
        str(o["_id"]): o
        async for o in store.db[OFFENDERS].find(
            {"_id": {"$in": offender_ids}}, _offender_fields(rules)
        )
    }
    stages, slots = case_facts_pipeline(rules, offenders)
    cursor = await store.db[CASES].aggregate([{"$match": case_match}, *stages])
    return await cursor.to_list(), slots


def facts_map(facts: list[dict[str, Any]]) -> dict[str, Any]:
    return {str(f["_id"]): f for f in facts}


def trigger_date(rule: Rule, slots: dict[str, str]) -> Any:
    if rule.trigger in _DOCUMENT_FACTS:
        return {"$ifNull": [f"$dates.{rule.trigger}", None]}
    return {"$ifNull": [f"$facts.dates.{slots[rule.trigger]}", None]}


def conditions(rule: Rule, trigger_date: Any) -> list[Any]:
    conditions: list[Any] = [{"$ne": [trigger_date, None]}]
    if rule.case_types:
        conditions.append({"$in": [{"$ifNull": ["$facts.case_type", None]}, list(rule.case_types)]})
    if rule.doc_types:
        conditions.append({"$in": ["$doc_type", list(rule.doc_types)]})
    if rule.markings:
        conditions.append({"$in": ["$protective_marking", list(rule.markings)]})
    if rule.metadata_key is not None:
        # Compared as text: a value typed in a spreadsheet matches 2026 and "2026" alike.
        value = {"$toString": {"$ifNull": [f"$metadata.{rule.metadata_key}", None]}}
        conditions.append({"$eq": [value, rule.metadata_value]})
    return conditions


def governing_rule(rules: list[Rule], slots: dict[str, str], at: datetime) -> dict[str, Any]:
    """One $switch: the first rule in precedence order that matches and has its date."""
    branches = []
    for rule in schedule.precedence([r for r in rules if r.record_class == "documents"]):
        start = trigger_date(rule, slots)
        branches.append(
            {
                "case": {"$and": conditions(rule, start)},
                "then": {
                    "rule": rule.code,
                    "rule_id": rule.id,
                    "action": rule.action,
                    "after_transfer": rule.after_transfer,
                    "trigger": rule.trigger,
                    "trigger_date": start,
                    "due": {
                        "$dateAdd": {
                            "startDate": start,
                            "unit": _UNIT[rule.unit],
                            "amount": rule.amount,
                        }
                    },
                    "evaluated_at": at,
                },
            }
        )
    if not branches:
        return {"$literal": None}
    return {"$switch": {"branches": branches, "default": None}}


def _changed() -> dict[str, Any]:
    def differs(field: str) -> dict[str, Any]:
        return {
            "$ne": [{"$ifNull": [f"$new.{field}", ""]}, {"$ifNull": [f"$disposition.{field}", ""]}]
        }

    return {"$expr": {"$or": [differs("rule"), differs("due"), differs("action")]}}


def prepare(rules: list[Rule]) -> dict[str, Any]:
    """The first stage: only the fields the rules read, each document date converted once.

    Measured on the embedded server, every field carried and every
    expression evaluated costs per document; versions are never needed.
    """
    kept: dict[str, Any] = {
        name: 1
        for name in (
            "case_id",
            "title",
            "doc_type",
            "protective_marking",
            "disposition",
            "review",
            "held_by",
        )
    }
    kept |= {f"metadata.{r.metadata_key}": 1 for r in rules if r.metadata_key is not None}
    used = {r.trigger for r in rules if r.trigger in _DOCUMENT_FACTS}
    kept["dates"] = {t: as_date(_DOCUMENT_FACTS[t]) for t in sorted(used)} or {"none": None}
    return {"$project": kept}


def document_stages(
    rules: list[Rule], slots: dict[str, str], at: datetime, *, facts: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Stages giving each document `new`: its governing rule and date, or null.

    With facts (a batch's map by case id) they are looked up in it; without,
    in the stored facts collection ($lookup: for the few documents changed
    since the last run, whose cases are anywhere).
    """
    if facts is not None:
        joined = {"$getField": {"field": {"$toString": "$case_id"}, "input": {"$literal": facts}}}
        join: list[dict[str, Any]] = [{"$set": {"facts": joined}}]
    else:
        join = [
            {
                "$lookup": {
                    "from": FACTS,
                    "localField": "case_id",
                    "foreignField": "_id",
                    "as": "facts",
                }
            },
            {"$set": {"facts": {"$first": "$facts"}}},
        ]
    return [prepare(rules), *join, {"$set": {"new": governing_rule(rules, slots, at)}}]


async def _ranges(
    collection: AsyncCollection[dict[str, Any]], size: int
) -> AsyncIterator[dict[str, Any]]:
    """_id ranges of about size documents each, found by skipping along the _id index."""
    low: ObjectId | None = None
    while True:
        after = {"_id": {"$gt": low}} if low is not None else {}
        edge = await collection.find_one(
            after, {"_id": 1}, sort=[("_id", ASCENDING)], skip=size - 1
        )
        bounds: dict[str, Any] = {}
        if low is not None:
            bounds["$gt"] = low
        if edge is not None:
            bounds["$lte"] = edge["_id"]
        yield {"_id": bounds} if bounds else {}
        if edge is None:
            return
        low = edge["_id"]


def fingerprint(rules: list[Rule]) -> str:
    """The schedule as it stands: a change to any rule means every document is looked at again."""
    canonical = json.dumps(
        [[r.id, r.revision, *schedule.to_record(r).values()] for r in rules], default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def case_batches(store: Store, batch: int) -> AsyncIterator[dict[str, Any]]:
    async for bounds in _ranges(store.db[CASES], batch):
        yield bounds


def _writes(run_id: ObjectId) -> list[dict[str, Any]]:
    # A document that lost its rule keeps a disposition naming none, stamped like the rest.
    stamped = {"$mergeObjects": [{"$ifNull": ["$new", {"rule": None}]}, {"run": run_id}]}
    merge = {"into": DOCUMENTS, "on": "_id", "whenMatched": "merge", "whenNotMatched": "discard"}
    return [{"$match": _changed()}, {"$project": {"disposition": stamped}}, {"$merge": merge}]


async def _write_changes(store: Store, reading: list[dict[str, Any]], run_id: ObjectId) -> int:
    """Count what the stages would change, then write it; how many documents changed.

    Counted first rather than through an index on the run: measured on the
    embedded server, an index whose keys are all one run id made each write
    slower than the last.
    """
    counted = await (
        await store.db[DOCUMENTS].aggregate([*reading, {"$match": _changed()}, {"$count": "n"}])
    ).to_list()
    if not counted:
        return 0
    await (await store.db[DOCUMENTS].aggregate([*reading, *_writes(run_id)])).to_list()
    return int(counted[0]["n"])


async def _changed_facts(
    store: Store, bounds: dict[str, Any], facts: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The batch's facts that differ from those stored."""
    stored = {f["_id"]: f async for f in store.db[FACTS].find(bounds)}
    return [f for f in facts if stored.get(f["_id"]) != f]


async def _store_facts(store: Store, changed: list[dict[str, Any]]) -> None:
    if changed:
        await store.db[FACTS].bulk_write(
            [ReplaceOne({"_id": f["_id"]}, f, upsert=True) for f in changed], ordered=False
        )


async def _evaluate_batch(
    store: Store,
    rules: list[Rule],
    bounds: dict[str, Any],
    at: datetime,
    run_id: ObjectId,
    *,
    full: bool,
) -> int:
    """One batch of cases and their documents; how many documents changed."""
    facts, slots = await case_facts(store, rules, bounds)
    changed = await _changed_facts(store, bounds, facts)
    if not full and not changed:
        return 0
    # A full run reads the batch's documents by a range of the case_id index:
    # measured, $in over thousands of ids made the embedded server scan them all.
    ids = [f["_id"] for f in changed]
    chosen = bounds.get("_id", {"$exists": True}) if full else {"$in": ids}
    stages = document_stages(rules, slots, at, facts=facts_map(facts))
    count = await _write_changes(store, [{"$match": {"case_id": chosen}}, *stages], run_id)
    # Stored only now: a run cut short finds these facts changed again next time.
    await _store_facts(store, changed)
    return count


async def evaluate(store: Store, *, batch: int = BATCH) -> Evaluation:
    """Compute and store every document's disposition; idempotent, writes only changes."""
    rules = await schedule.all_rules(store)
    at = store.now()
    run_id = ObjectId()
    schedule_print = fingerprint(rules)
    last = await store.db[EVALUATIONS].find_one({}, sort=[("at", -1)])
    full = last is None or last.get("fingerprint") != schedule_print
    changed_count = 0

    async for bounds in case_batches(store, batch):
        for attempt in range(BATCH_ATTEMPTS):
            try:
                changed_count += await _evaluate_batch(store, rules, bounds, at, run_id, full=full)
                break
            except AutoReconnect:
                # Measured at 1,000,000 documents: the embedded server, busy with
                # a long $merge, missed the driver's 5 s heartbeat and the pool was
                # reset. A batch writes only changes, so doing it again is safe.
                if attempt == BATCH_ATTEMPTS - 1:
                    raise
                logger.warning("retention.batch_retried", extra={"attempt": attempt + 1})

    if not full and last is not None:
        # Documents filed or changed since the last run, in cases whose facts did not change.
        _, slots = case_facts_pipeline(rules, {})
        since = {"$match": {"updated_at": {"$gte": last["at"]}}}
        stages = document_stages(rules, slots, at, facts=None)
        changed_count += await _write_changes(store, [since, *stages], run_id)

    summary = Evaluation(id=run_id, at=at, changed=changed_count, rules=len(rules))
    await store.db[EVALUATIONS].insert_one(
        {
            "_id": run_id,
            "at": at,
            "changed": changed_count,
            "rules": len(rules),
            "fingerprint": schedule_print,
            "full": full,
        }
    )
    logger.info(
        "retention.evaluated", extra={"run": str(run_id), "changed": changed_count, "full": full}
    )
    return summary


async def ensure_indexes(store: Store) -> None:
    await store.db[DOCUMENTS].create_indexes(
        [
            IndexModel([("disposition.due", ASCENDING)], sparse=True),
            # The documents changed since the last run.
            IndexModel([("updated_at", ASCENDING)]),
        ]
    )
