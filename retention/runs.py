"""Disposal runs: an approved proposal carried out, document by document.

A run is durable: approval records it, and whoever picks it up (the approving
request's background task, the server's sweep, `ppud retention dispose`)
carries it on. Each document's steps are atomic and conditional
(retention.destroy), so a run taken up twice destroys nothing twice.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument

from records.actors import Actor
from records.documents import DOCUMENTS
from records.errors import NotFound
from records.paging import Page, page
from records.policy import Action, require
from records.store import Store, iso, parse_id
from retention import current, destroy, holds, transfer
from retention.destroy import Outcome
from retention.review import RUNS, is_due
from retention.visibility import TOMBSTONES, sees_every_document

logger = logging.getLogger(__name__)


async def execute(store: Store, data_dir: Path, run_id: ObjectId) -> dict[str, Any] | None:
    """Carry out one run; None when it was already done (or taken by another process)."""
    run = await store.db[RUNS].find_one_and_update(
        {"_id": run_id, "state": {"$in": ["approved", "running"]}},
        {"$set": {"state": "running", "started_at": store.now()}},
        return_document=ReturnDocument.AFTER,
    )
    if run is None:
        return None
    if run["kind"] == "transfer":
        outcomes = await _transfer(store, data_dir, run)
    else:
        outcomes = [await destroy.destroy_one(store, data_dir, d, run) for d in run["documents"]]
    await destroy.record_outcomes(store, run, outcomes)
    return await store.db[RUNS].find_one({"_id": run_id})


async def _transfer(store: Store, data_dir: Path, run: dict[str, Any]) -> list[Outcome]:
    """Package every approved, unheld, still due document; then destroy or keep each by its rule."""
    found = [d async for d in store.db[DOCUMENTS].find({"_id": {"$in": run["documents"]}})]
    # As destruction does: the schedule and the holds as they stand now, not at approval.
    standings = await current.of_documents(store, found)
    today = store.now().date()
    refusals = {
        d["_id"]: why
        for d in await holds.with_holds(store, found)
        if (why := _not_transferable(run, d, standings.get(d["_id"]), today)) is not None
    }
    ready = [d["_id"] for d in found if d["_id"] not in refusals]

    path = await transfer.write_package(store, data_dir, run, ready)
    await store.db[RUNS].update_one(
        {"_id": run["_id"]}, {"$set": {"package": str(path), "packaged": ready}}
    )
    outcomes: list[Outcome] = []
    for document_id in run["documents"]:
        if document_id not in ready:
            why = refusals.get(document_id, destroy.GONE)
            outcomes.append(await destroy.blocked(store, document_id, why))
        elif (standings.get(document_id) or {}).get("after_transfer") == "keep":
            await store.db[DOCUMENTS].update_one(
                {"_id": document_id},
                {"$set": {"review.state": "transferred", "review.transferred_in": run["_id"]}},
            )
            outcomes.append(
                Outcome(document_id, "transferred", "kept after transfer, as its rule says")
            )
        else:
            outcomes.append(await destroy.destroy_one(store, data_dir, document_id, run))
    return outcomes


def _not_transferable(
    run: dict[str, Any], document: dict[str, Any], disposition: dict[str, Any] | None, today: date
) -> str | None:
    """Why the document (holds read by holds.with_holds) may not be packaged now; None if it may."""
    review = document.get("review") or {}
    if review.get("run_id") != run["_id"] or review.get("state") != "approved":
        return destroy.NO_LONGER_APPROVED
    if document.get("held_by"):
        return destroy.HELD
    if not is_due(disposition, today):
        return destroy.NO_LONGER_DUE
    return None


async def resume(store: Store, data_dir: Path) -> int:
    """Runs approved but not finished (a restart in the middle): carried on now."""
    pending = [
        r["_id"]
        async for r in store.db[RUNS].find({"state": {"$in": ["approved", "running"]}}, {"_id": 1})
    ]
    for run_id in pending:
        await execute(store, data_dir, run_id)
    return len(pending)


async def get_run(store: Store, actor: Actor, run_id: str) -> dict[str, Any]:
    """A run, seen by a records manager who sees its proposal's cases (the tombstones')."""
    require(actor, Action.RETENTION_REVIEW)
    run = await store.db[RUNS].find_one({"_id": parse_id(run_id, kind="run")})
    if run is None or not await _sees_run(store, actor, run):
        raise NotFound.absent("run", run_id)
    return run


async def _sees_run(store: Store, actor: Actor, run: dict[str, Any]) -> bool:
    """Every document of the run, destroyed or not, is one the actor may see.

    A tombstone keeps its document's limit (restricted_to), so a limited
    document stays hidden after it is gone, from administrators too.
    """
    return await sees_every_document(store, actor, run["documents"])


async def list_runs(
    store: Store, actor: Actor, *, limit: int | None = None, cursor: str | None = None
) -> Page:
    """A page of runs, leaving out any that touch a case the actor cannot see."""
    require(actor, Action.RETENTION_REVIEW)
    found = await page(store.db[RUNS], {}, limit=limit, cursor=cursor, newest_first=True)
    seen = [run for run in found.items if await _sees_run(store, actor, run)]
    return Page(items=seen, next_cursor=found.next_cursor)


async def tombstones(store: Store, run_id: ObjectId) -> list[dict[str, Any]]:
    return [t async for t in store.db[TOMBSTONES].find({"run_id": run_id}).sort("_id", 1)]


def run_view(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(run["_id"]),
        "kind": run["kind"],
        "state": run["state"],
        "proposal_id": str(run["proposal_id"]),
        "proposed_by": run["proposed_by"],
        "approved_by": run["approved_by"],
        "approved_at": iso(run["approved_at"]),
        "finished_at": iso(run["finished_at"]) if run.get("finished_at") else None,
        "counts": run.get("counts") or {},
        "results": [
            {
                "document_id": str(r["document_id"]),
                "result": r["result"],
                "detail": r.get("detail", ""),
            }
            for r in run.get("results") or []
        ],
        "package": bool(run.get("package")),
    }
