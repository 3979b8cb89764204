"""The aggregation expressions retention is computed with: case facts, and each document's rule.

Shared by evaluation (retention.evaluate), the records managers' view of
what is due (retention.current), the dry run and the explanation, so that
all of them choose a document's rule the same way.

- A case's facts: the case's aggregation picks each trigger date the rules
  need (its offender's dates passed in as a literal map, looked up with
  $getField) and converts them to dates.
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
from pymongo.asynchronous.collection import AsyncCollection

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
    # A case without an offender id looks up "" and finds no offender, rather than failing.
    key = {"$ifNull": [{"$toString": "$offender_id"}, ""]}
    offender = {"$getField": {"field": key, "input": {"$literal": offenders}}}
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
    store: Store,
    rules: list[Rule],
    case_match: dict[str, Any],
    *,
    offender_match: dict[str, Any] | None = None,
    with_rules: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The facts of the cases matching case_match (one batch), and the trigger slots.

    offender_match, when given, finds every offender those cases can belong
    to (a batch of offenders by _id range); otherwise their ids are listed,
    which suits a few cases only: measured, the embedded server answered an
    $in of 2,000 offender ids in 0.7 s, comparing each with every offender.
    with_rules, the rules that qualify for each case instead of its dates
    (case_rules): what evaluation stores.
    """
    if offender_match is None:
        offender_ids = await store.db[CASES].distinct("offender_id", case_match)
        offender_match = {"_id": {"$in": offender_ids}}
    offenders = {
        str(o["_id"]): o
        async for o in store.db[OFFENDERS].find(offender_match, _offender_fields(rules))
    }
    stages, slots = case_facts_pipeline(rules, offenders)
    if with_rules:
        stages += case_rules(rules, slots)
    cursor = await store.db[CASES].aggregate([{"$match": case_match}, *stages])
    return await cursor.to_list(), slots


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
        yield bounds
        if edge is None:
            return
        low = edge["_id"]


@dataclass(frozen=True)
class Batch:
    """A range of offenders by _id, and their cases (by the cases' offender_id index)."""

    offenders: dict[str, Any]
    cases: dict[str, Any]


async def batches(store: Store, size: int) -> AsyncIterator[Batch]:
    """Every case, in batches of the cases of about size offenders each.

    Cases whose offender id is missing or not an id come last, in a batch
    of their own, so that no case is left out of the ranges.
    """
    ranged = False
    async for bounds in _ranges(store.db[OFFENDERS], size):
        if not bounds:
            yield Batch({}, {})
        else:
            ranged = True
            yield Batch({"_id": bounds}, {"offender_id": bounds})
    if ranged:
        yield Batch({"_id": {"$in": []}}, {"offender_id": {"$not": {"$type": "objectId"}}})


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
