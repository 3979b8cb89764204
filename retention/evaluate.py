"""Evaluation: which rules govern each case's records, and when each falls due, stored per case.

A document's class decides its destiny: its type, marking and metadata
choose among the rules that qualify for its case, and its case (or its
offender) gives the date. So evaluation works over cases, never over
documents: cases are taken in batches of _id ranges, and one aggregation
per batch (retention.expressions) computes each case's facts, the rules
that qualify for its documents in precedence order, each with its trigger
date and due date ($dateAdd), and the case's earliest due date. The result
is stored in `retention_dispositions`, one record per case, written only
where it changed; records of cases that no longer exist are removed. When
anything changed, the review queue's reading order is written again
(retention.queue_order).

Which of a case's rules governs a given document, and so its date, is
chosen when it is read (retention.current), by the same expressions, from
the document's own fields. A rule dated by each document (its document
date, its last change) has no case-level date: such a case is always among
the candidates for review.

Measured on the embedded server (SecantusDB 0.7): rewriting a document
costs about 0.2 ms, so storing a date on each of 1,000,000 documents took
over half an hour; a case record is written once for its 20 or so documents.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DeleteMany, IndexModel, ReplaceOne
from pymongo.errors import AutoReconnect, BulkWriteError

from records.documents import DOCUMENTS
from records.store import Store
from retention import expressions, queue_order, rule_store
from retention.rules import Rule

logger = logging.getLogger(__name__)

DISPOSITIONS = "retention_dispositions"
EVALUATIONS = "retention_evaluations"
# Offenders per batch (their cases, about 2.5 each in the benchmark): the
# offenders' literal map and the batch's stored records are read at once.
# Each command's fixed cost on the embedded server makes small batches slow.
BATCH = 1000
BATCH_ATTEMPTS = 3
DUPLICATE_KEY = 11000
# Written by each run, so never compared.
_STAMPS = ("run", "evaluated_at")


@dataclass(frozen=True)
class Evaluation:
    id: ObjectId
    at: datetime
    changed: int
    removed: int
    cases: int
    rules: int


async def case_dispositions(
    store: Store, rules: list[Rule], batch: expressions.Batch
) -> list[dict[str, Any]]:
    """What evaluation stores for the cases of a batch, computed now."""
    found, _ = await expressions.case_facts(
        store, rules, batch.cases, offenders=batch.offenders, with_rules=True
    )
    return found


async def _evaluate_batch(
    store: Store, rules: list[Rule], batch: expressions.Batch, at: datetime, run_id: ObjectId
) -> tuple[int, int, int]:
    """One batch of cases: how many records were written, removed, and looked at."""
    computed = {d["_id"]: d for d in await case_dispositions(store, rules, batch)}
    stored = {
        d["_id"]: {k: v for k, v in d.items() if k not in _STAMPS}
        async for d in store.db[DISPOSITIONS].find(batch.cases)
    }
    stamps = {"run": run_id, "evaluated_at": at}
    new = [record | stamps for case_id, record in computed.items() if case_id not in stored]
    replaced = [
        record | stamps
        for case_id, record in computed.items()
        if case_id in stored and stored[case_id] != record
    ]
    gone = [case_id for case_id in stored if case_id not in computed]

    # Inserted, not upserted: measured on the embedded server, 2,500 records
    # took 0.4 s to insert and 0.6 s to upsert. A case that moved from an
    # offender of another batch already has a record: that one is replaced.
    moved = await _insert(store, new)
    writes: list[Any] = [ReplaceOne({"_id": r["_id"]}, r, upsert=True) for r in replaced + moved]
    if gone:
        writes.append(DeleteMany({"_id": {"$in": gone}}))
    if writes:
        await store.db[DISPOSITIONS].bulk_write(writes, ordered=False)
    return len(new) + len(replaced), len(gone), len(computed)


async def _insert(store: Store, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert the records; those whose case already has one are returned, to be replaced."""
    if not records:
        return []
    try:
        await store.db[DISPOSITIONS].insert_many(records, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return [records[e["index"]] for e in errors]
    return []


async def evaluate(store: Store, *, batch: int = BATCH) -> Evaluation:
    """Compute and store every case's dispositions; idempotent, writes only changes."""
    rules = await rule_store.all_rules(store)
    at = store.now()
    run_id = ObjectId()
    changed = removed = cases = 0

    async for group in expressions.batches(store, rules, batch):
        for attempt in range(BATCH_ATTEMPTS):
            try:
                written, gone, seen = await _evaluate_batch(store, rules, group, at, run_id)
                break
            except AutoReconnect:
                # Measured under load: the embedded server, busy with a long
                # write, missed the driver's heartbeat and the pool was reset.
                # A batch writes only changes, so doing it again is safe.
                if attempt == BATCH_ATTEMPTS - 1:
                    raise
                logger.warning("retention.batch_retried", extra={"attempt": attempt + 1})
        changed, removed, cases = changed + written, removed + gone, cases + seen

    if changed or removed or not await queue_order.has_order(store):
        await queue_order.rebuild(store, DISPOSITIONS, run_id)

    summary = Evaluation(
        id=run_id, at=at, changed=changed, removed=removed, cases=cases, rules=len(rules)
    )
    await store.db[EVALUATIONS].insert_one(
        {
            "_id": run_id,
            "at": at,
            "changed": changed,
            "removed": removed,
            "cases": cases,
            "rules": len(rules),
        }
    )
    logger.info(
        "retention.evaluated",
        extra={"run": str(run_id), "changed": changed, "removed": removed, "cases": cases},
    )
    return summary


async def ensure_indexes(store: Store) -> None:
    await store.db[DISPOSITIONS].create_indexes(
        [IndexModel([("next_due", ASCENDING)]), IndexModel([("offender_id", ASCENDING)])]
    )
    # The documents' own dates, for rules dated by each document.
    await store.db[DOCUMENTS].create_indexes([IndexModel([("updated_at", ASCENDING)])])
    await _forget_per_document_dates(store)


async def _forget_per_document_dates(store: Store) -> None:
    """A database evaluated per document before: its dates on documents are no longer read."""
    indexes = await store.db[DOCUMENTS].index_information()
    if "disposition.due_1" not in indexes:
        return
    await store.db[DOCUMENTS].update_many(
        {"disposition": {"$exists": True}}, {"$unset": {"disposition": ""}}
    )
    await store.db[DOCUMENTS].drop_index("disposition.due_1")
    await store.db.drop_collection("retention_case_facts")
