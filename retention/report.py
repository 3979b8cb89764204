"""The dry run: what would be due, held or destroyed on a date, as CSV, changing nothing.

The same expressions as evaluation and the review queue
(retention.expressions), over every case batch by batch, ending in the
report's rows; the case facts are computed afresh and never stored, so
nothing in the database changes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from bson import ObjectId

from records.documents import DOCUMENTS
from records.store import Store, as_utc
from records.validation import spreadsheet_safe
from retention import evaluate, expressions, holds, rule_store
from retention.review import end_of

COLUMNS = (
    "document_id",
    "case_id",
    "title",
    "doc_type",
    "rule",
    "action",
    "trigger",
    "trigger_date",
    "due",
    "status",
)


def _status(held: dict[str, list[ObjectId]], day: date) -> dict[str, Any]:
    """held, retained, proposed or approved; otherwise what the rule would do."""
    is_held = {
        "$or": [
            {"$gt": [{"$size": {"$ifNull": ["$held_by", []]}}, 0]},
            {"$in": ["$_id", held["documents"]]},
            {"$in": ["$case_id", held["cases"]]},
            {"$in": [{"$ifNull": ["$facts.offender_id", None]}, held["offenders"]]},
        ]
    }
    retained = {"$gt": [{"$ifNull": ["$review.retained_until", None]}, end_of(day)]}
    return {
        "$switch": {
            "branches": [
                {"case": is_held, "then": "held"},
                {"case": retained, "then": "retained"},
                {
                    "case": {"$in": ["$review.state", ["proposed", "approved", "transferred"]]},
                    "then": "$review.state",
                },
                {"case": {"$eq": ["$new.action", "destroy"]}, "then": "would be destroyed"},
                {
                    "case": {
                        "$and": [
                            {"$eq": ["$new.action", "transfer"]},
                            {"$eq": ["$new.after_transfer", "keep"]},
                        ]
                    },
                    "then": "would be transferred and kept",
                },
                {
                    "case": {"$eq": ["$new.action", "transfer"]},
                    "then": "would be transferred and destroyed",
                },
            ],
            "default": "due for review",
        }
    }


async def rows(store: Store, as_of: date) -> AsyncIterator[dict[str, Any]]:
    """The rows of the report, a few cases at a time, each few by due date."""
    rules = await rule_store.all_rules(store)
    held = await holds.held_scope(store)
    async for batch in expressions.batches(store, rules, evaluate.BATCH):
        facts, slots = await expressions.case_facts(
            store, rules, batch.cases, offenders=batch.offenders
        )
        for chunk in expressions.chunked(facts):
            pipeline = [
                {"$match": {"case_id": {"$in": [f["_id"] for f in chunk]}}},
                *expressions.document_stages(
                    rules, slots, store.now(), facts=expressions.facts_map(chunk)
                ),
                {"$match": {"new.due": {"$lte": end_of(as_of)}}},
                {"$sort": {"new.due": 1, "_id": 1}},
                {
                    "$project": {
                        "case_id": 1,
                        "title": 1,
                        "doc_type": 1,
                        "new": 1,
                        "status": _status(held, as_of),
                    }
                },
            ]
            async for row in await store.db[DOCUMENTS].aggregate(pipeline):
                yield _row(row)


def _row(row: dict[str, Any]) -> dict[str, Any]:
    new = row["new"]
    return {
        "document_id": str(row["_id"]),
        "case_id": str(row["case_id"]),
        "title": row["title"],
        "doc_type": row["doc_type"],
        "rule": new["rule"],
        "action": new["action"],
        "trigger": new["trigger"],
        "trigger_date": as_utc(new["trigger_date"]).date().isoformat(),
        "due": as_utc(new["due"]).date().isoformat(),
        "status": row["status"],
    }


async def report_csv(store: Store, as_of: date, out: io.TextIOBase) -> int:
    """Write the report to out; how many rows."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    async for row in rows(store, as_of):
        writer.writerow([spreadsheet_safe(row[c]) for c in COLUMNS])
        count += 1
    return count
