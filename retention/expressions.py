"""The aggregation expressions retention is computed with: case facts, and each document's rule.

Shared by evaluation (retention.evaluate), the records managers' view of
what is due (retention.current), the dry run and the explanation, so that
all of them choose a document's rule the same way.

- A case's facts: the case's aggregation picks each trigger date the rules
  need, converted to dates: its own, and its offender's from a literal map
  looked up with $getField (offenders_of, converted there once each).
- A document's rule: one aggregation over documents joins each to its
  case's facts (a literal map by case id) and chooses the governing rule
  with one $switch over the rules in precedence order, adding the period
  with $dateAdd.

Measured on the embedded server (SecantusDB 0.7), per document: an
aggregation stage about 0.1 ms, a $lookup about 0.3 ms, a $getField into a
literal map next to nothing; hence the maps instead of $lookup.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING

from records.cases import CASES
from records.offenders import OFFENDERS
from records.store import Store
from retention import rules as schedule
from retention.rules import Rule

# Cases whose documents are read at once, by an $in on the case_id index.
# Measured on the embedded server at 100,000 documents: $in of 10 case ids
# 6 ms, of 100 ids 140 ms, of 1,000 ids 10.9 s (each document compared with
# every id).
CASES_AT_ONCE = 50
# A case with a rule dated by each document may have something due on any day.
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
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


def _case_triggers(rules: list[Rule]) -> list[str]:
    """The triggers of the document rules dated by their case or offender, each once, in order."""
    seen: dict[str, None] = {}
    for rule in rules:
        if rule.record_class == "documents" and rule.trigger not in _DOCUMENT_FACTS:
            seen.setdefault(rule.trigger)
    return list(seen)


def _slots(rules: list[Rule]) -> dict[str, str]:
    """Where each case-level trigger's date is kept in a case's facts: t0, t1, ..."""
    slots: dict[str, str] = {}
    for trigger in _case_triggers(rules):
        _slot(trigger, slots)
    return slots


def _offender_path(trigger: str) -> str | None:
    """The offender field a trigger reads, or None for a date of the case."""
    source = _fact_source(trigger)
    if isinstance(source, str) and source.startswith("$offender."):
        return source.removeprefix("$offender.")
    return None


def offender_dates(rules: list[Rule]) -> dict[str, Any]:
    """A stage turning an offender into the trigger dates the rules read from it, by slot.

    Converted once per offender rather than once per case: measured on the
    embedded server, a date conversion costs about 0.06 ms.
    """
    slots = _slots(rules)
    dates: dict[str, Any] = {
        slots[t]: as_date(f"${path}")
        for t in _case_triggers(rules)
        if (path := _offender_path(t)) is not None
    }
    return {"$project": {"_id": 1, **dates}}


async def offenders_of(store: Store, rules: list[Rule], match: dict[str, Any]) -> dict[str, Any]:
    """The offenders matching match, as the literal map case facts look them up in, by id."""
    pipeline = [{"$match": match}, offender_dates(rules)]
    cursor = await store.db[OFFENDERS].aggregate(pipeline)
    return {str(o.pop("_id")): o async for o in cursor}


def case_facts_pipeline(
    rules: list[Rule], offenders: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Stages turning a case into its facts: type, offender and each trigger date used.

    offenders maps each offender's id to its dates by slot (offenders_of).
    """
    slots = _slots(rules)
    dates: dict[str, Any] = {
        slots[t]: (
            {"$ifNull": [f"$offender.{slots[t]}", None]}
            if _offender_path(t) is not None
            else as_date(_fact_source(t))
        )
        for t in _case_triggers(rules)
    }
    # A case without an offender id looks up "" and finds no offender, rather than failing.
    key = {"$ifNull": [{"$toString": "$offender_id"}, ""]}
    offender = {"$getField": {"field": key, "input": {"$literal": offenders}}}
    stages: list[dict[str, Any]] = [
        {"$set": {"offender": offender}},
        {"$project": {"case_type": 1, "offender_id": 1, "dates": dates or {"none": None}}},
    ]
    return stages, slots


async def case_facts(
    store: Store,
    rules: list[Rule],
    case_match: dict[str, Any],
    *,
    offenders: dict[str, Any] | None = None,
    with_rules: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The facts of the cases matching case_match (one batch), and the trigger slots.

    offenders, when given, holds every offender those cases can belong to
    (a batch's); otherwise their ids are listed, which suits a few cases
    only: measured, the embedded server answered an $in of 2,000 offender
    ids in 0.7 s, comparing each with every offender.
    with_rules, the rules that qualify for each case instead of its dates
    (case_rules): what evaluation stores.
    """
    if offenders is None:
        offender_ids = await store.db[CASES].distinct("offender_id", case_match)
        offenders = await offenders_of(store, rules, {"_id": {"$in": offender_ids}})
    stages, slots = case_facts_pipeline(rules, offenders)
    if with_rules:
        stages += case_rules(rules, slots)
    cursor = await store.db[CASES].aggregate([{"$match": case_match}, *stages])
    return await cursor.to_list(), slots


@dataclass(frozen=True)
class Batch:
    """Some offenders (their dates by slot, by id) and the cases that can be theirs."""

    offenders: dict[str, Any]
    cases: dict[str, Any]


async def batches(store: Store, rules: list[Rule], size: int) -> AsyncIterator[Batch]:
    """Every case, in batches of the cases of size offenders each, in offender order.

    The offenders come from one sorted read, size at a time: measured on the
    embedded server, a range of offenders by _id reads the whole collection
    (0.3 s at 20,000), and so did finding each range's edge. Each batch's
    cases come by the offender_id index, from just after the last batch's
    offender to its own last; cases whose offender id is above every
    offender's, or missing, or not an id come in batches of their own, so
    that no case is left out.
    """
    pipeline = [{"$sort": {"_id": ASCENDING}}, offender_dates(rules)]
    cursor = await store.db[OFFENDERS].aggregate(pipeline, batchSize=size)
    low: ObjectId | None = None
    taken: dict[str, Any] = {}

    def batch(high: ObjectId | None) -> Batch:
        bounds: dict[str, Any] = {}
        if low is not None:
            bounds["$gt"] = low
        if high is not None:
            bounds["$lte"] = high
        # A range compares ids with ids only; with no bounds, every id.
        return Batch(dict(taken), {"offender_id": bounds or {"$type": "objectId"}})

    async for offender in cursor:
        offender_id = offender.pop("_id")
        taken[str(offender_id)] = offender
        if len(taken) == size:
            yield batch(offender_id)
            low, taken = offender_id, {}
    yield batch(None)
    yield Batch({}, {"offender_id": {"$not": {"$type": "objectId"}}})


def chunked(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """items in runs of CASES_AT_ONCE."""
    return [items[i : i + CASES_AT_ONCE] for i in range(0, len(items), CASES_AT_ONCE)]


def facts_map(facts: list[dict[str, Any]]) -> dict[str, Any]:
    return {str(f["_id"]): f for f in facts}


def trigger_date(rule: Rule, slots: dict[str, str]) -> Any:
    if rule.trigger in _DOCUMENT_FACTS:
        return {"$ifNull": [f"$dates.{rule.trigger}", None]}
    return {"$ifNull": [f"$facts.dates.{slots[rule.trigger]}", None]}


def conditions(rule: Rule, trigger_date: Any) -> list[Any]:
    conditions: list[Any] = [{"$ne": [trigger_date, None]}]
    if rule.case_types:
        conditions.append(
            {"$in": [{"$ifNull": ["$facts.case_type", None]}, _listed(rule.case_types)]}
        )
    if rule.doc_types:
        conditions.append({"$in": ["$doc_type", _listed(rule.doc_types)]})
    if rule.markings:
        conditions.append({"$in": ["$protective_marking", _listed(rule.markings)]})
    if rule.metadata_key is not None:
        # Compared as text: a value typed in a spreadsheet matches 2026 and "2026" alike.
        # A list or map there matches nothing rather than failing the whole run.
        value = {
            "$convert": {
                "input": f"$metadata.{rule.metadata_key}",
                "to": "string",
                "onError": None,
                "onNull": None,
            }
        }
        conditions.append({"$eq": [value, {"$literal": rule.metadata_value}]})
    return conditions


def _listed(values: tuple[str, ...]) -> dict[str, Any]:
    # Literal, so a value that begins with "$" is compared, not read as a field.
    return {"$literal": list(values)}


def case_rules(rules: list[Rule], slots: dict[str, str]) -> list[dict[str, Any]]:
    """Stages adding to case facts the rules that can govern the case's documents, and when.

    A rule qualifies when the case is of a type it covers and, for a trigger
    of the case or offender, the case has that date. Each keeps its place
    in precedence order, what it covers of the documents, and its due date;
    a rule dated by each document has none here (each document's own date
    decides), so such a case is looked at whenever anything is due
    (next_due is EARLIEST).
    """
    entries = []
    for rule in schedule.precedence([r for r in rules if r.record_class == "documents"]):
        per_document = is_document_trigger(rule.trigger)
        start = None if per_document else {"$ifNull": [f"$dates.{slots[rule.trigger]}", None]}
        qualifies: list[Any] = [] if per_document else [{"$ne": [start, None]}]
        if rule.case_types:
            qualifies.append({"$in": [{"$ifNull": ["$case_type", None]}, _listed(rule.case_types)]})
        entry = {
            "rule": {"$literal": rule.code},
            "rule_id": {"$literal": rule.id},
            "action": {"$literal": rule.action},
            "after_transfer": {"$literal": rule.after_transfer},
            "trigger": {"$literal": rule.trigger},
            "period": {"$literal": f"{rule.amount} {rule.unit}"},
            "doc_types": _listed(rule.doc_types),
            "markings": _listed(rule.markings),
            "metadata": {"$literal": _metadata_condition(rule)},
            "per_document": per_document,
            "trigger_date": start,
            "due": None if start is None else _due(rule, start),
        }
        entries.append({"$cond": [{"$and": qualifies or [True]}, entry, None]})
    applies = {"$filter": {"input": entries, "cond": {"$ne": ["$$this", None]}}}

    # $map rather than "$rules.due": the embedded server does not follow a path into an array.
    def each(field: str) -> dict[str, Any]:
        return {"$map": {"input": "$rules", "in": f"$$this.{field}"}}

    earliest = {"$cond": [{"$in": [True, each("per_document")]}, EARLIEST, {"$min": each("due")}]}
    return [
        {"$set": {"rules": applies}},
        {"$set": {"next_due": earliest}},
        {"$project": {"dates": 0}},
    ]


def _metadata_condition(rule: Rule) -> dict[str, str] | None:
    if rule.metadata_key is None:
        return None
    return {"key": rule.metadata_key, "value": rule.metadata_value or ""}


def _due(rule: Rule, start: Any) -> dict[str, Any]:
    return {"$dateAdd": {"startDate": start, "unit": _UNIT[rule.unit], "amount": rule.amount}}


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
                    "due": _due(rule, start),
                    "evaluated_at": at,
                },
            }
        )
    if not branches:
        return {"$literal": None}
    return {"$switch": {"branches": branches, "default": None}}


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
            "review",
            "held_by",
        )
    }
    kept |= {f"metadata.{r.metadata_key}": 1 for r in rules if r.metadata_key is not None}
    used = {r.trigger for r in rules if r.trigger in _DOCUMENT_FACTS}
    kept["dates"] = {t: as_date(_DOCUMENT_FACTS[t]) for t in sorted(used)} or {"none": None}
    return {"$project": kept}


def document_stages(
    rules: list[Rule], slots: dict[str, str], at: datetime, *, facts: dict[str, Any]
) -> list[dict[str, Any]]:
    """Stages giving each document `new`: its governing rule and date, or null.

    facts is the map of the documents' cases' facts by case id (facts_map).
    """
    joined = {"$getField": {"field": {"$toString": "$case_id"}, "input": {"$literal": facts}}}
    return [
        prepare(rules),
        {"$set": {"facts": joined}},
        {"$set": {"new": governing_rule(rules, slots, at)}},
    ]


def is_document_trigger(trigger: str) -> bool:
    """Whether the trigger is a date of each document rather than of its case."""
    return trigger in _DOCUMENT_FACTS
