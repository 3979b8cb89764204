"""The review queue's reading order: every case that can have something due, by case, in blocks.

On the embedded server a query for the case records due by a date, sorted
by case, reads and sorts every match before it returns the first: 2.7 s a
page at 50,000 cases. So evaluation, when anything changed, also writes
the cases with a due date in case order, BLOCK_SIZE to a block, each block
a record read by its _id; the queue walks the blocks from the one its
cursor points into. A new order is written beside the old one and then
made current, so a reader sees one order or the other, never a mix.
"""

from __future__ import annotations

import bisect
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from bson import ObjectId

from records.store import Store

BLOCKS = "retention_queue_blocks"
CURRENT = "current"
BLOCK_SIZE = 1000
# Reading starts again from the newest order this many times if blocks are
# replaced while a page is read.
_RESTARTS = 3
# What an entry is made of; read a block at a time, so memory stays flat.
_ENTRY_FIELDS = {"next_due": 1, "rules.rule": 1, "rules.action": 1}


def _entry(record: dict[str, Any]) -> dict[str, Any]:
    """A case record as the queue needs it: its id, next due date, rules and actions."""
    rules = record.get("rules") or []
    return {
        "case_id": record["_id"],
        "next_due": record["next_due"],
        "rules": sorted({r["rule"] for r in rules}),
        "actions": sorted({r["action"] for r in rules}),
    }


async def rebuild(store: Store, dispositions: str, run_id: ObjectId) -> int:
    """Write the order afresh from the stored case records and make it current; its blocks."""
    lasts: list[ObjectId] = []
    entries: list[dict[str, Any]] = []

    async def write() -> None:
        block = {"_id": f"{run_id}:{len(lasts)}", "run": run_id, "entries": entries}
        await store.db[BLOCKS].insert_one(block)
        lasts.append(entries[-1]["case_id"])

    found = store.db[dispositions].find({"next_due": {"$ne": None}}, _ENTRY_FIELDS)
    async for record in found.sort("_id", 1).batch_size(BLOCK_SIZE):
        entries.append(_entry(record))
        if len(entries) == BLOCK_SIZE:
            await write()
            entries = []
    if entries:
        await write()

    await store.db[BLOCKS].replace_one(
        {"_id": CURRENT}, {"_id": CURRENT, "run": run_id, "lasts": lasts}, upsert=True
    )
    # Older orders only: an evaluation running alongside may be writing a newer one.
    await store.db[BLOCKS].delete_many({"_id": {"$ne": CURRENT}, "run": {"$lt": run_id}})
    return len(lasts)


async def has_order(store: Store) -> bool:
    return await store.db[BLOCKS].find_one({"_id": CURRENT}, {"_id": 1}) is not None


async def in_order(
    store: Store, dispositions: str, from_case: ObjectId | None
) -> AsyncGenerator[dict[str, Any]]:
    """The entries of every case from from_case on (itself included), in case order."""
    last: ObjectId | None = None
    for _ in range(_RESTARTS):
        current = await store.db[BLOCKS].find_one({"_id": CURRENT})
        if current is None:
            break
        lasts = current["lasts"]
        start = last if last is not None else from_case
        number = bisect.bisect_left(lasts, start) if start is not None else 0
        replaced = False
        for n in range(number, len(lasts)):
            block = await store.db[BLOCKS].find_one({"_id": f"{current['run']}:{n}"})
            if block is None:
                replaced = True
                break
            for entry in block["entries"]:
                case_id = entry["case_id"]
                if (from_case is not None and case_id < from_case) or (
                    last is not None and case_id <= last
                ):
                    continue
                last = case_id
                yield entry
        if not replaced:
            return

    # No order yet (never evaluated since it was introduced), or one replaced
    # again and again (evaluations racing): the case records themselves.
    async for entry in _from_records(store, dispositions, from_case, last):
        yield entry


async def _from_records(
    store: Store, dispositions: str, from_case: ObjectId | None, after: ObjectId | None
) -> AsyncIterator[dict[str, Any]]:
    bounds: dict[str, Any] = {}
    if from_case is not None:
        bounds["$gte"] = from_case
    if after is not None:
        bounds["$gt"] = after
    query: dict[str, Any] = {"next_due": {"$ne": None}}
    if bounds:
        query["_id"] = bounds
    found = store.db[dispositions].find(query, _ENTRY_FIELDS).sort("_id", 1).batch_size(BLOCK_SIZE)
    async for record in found:
        yield _entry(record)
