"""Destruction that destroys: every version's bytes, its text, its index entries and pictures.

Each document goes in two steps, so that a legal hold applied at any moment
wins (retention.holds explains the marks):

1. claim: one conditional write moves it from approved to destroying, only
   if nothing holds it.
2. finish: one transaction reads the holds again, deletes the document only
   if it is still destroying and unheld, and with it deletes its GridFS
   files and chunks and extracted text, queues its search entries for
   deletion, flags dossiers built from it, leaves a tombstone and writes
   the audit event. A hold that lands between the two steps makes the
   delete match nothing; one that races the transaction conflicts with it
   on the document and one of them is retried.

Derived files on disk (thumbnails, cached PDF conversions) are removed after
the commit, unless another surviving version has the same SHA-256.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, files
from records.actors import SYSTEM
from records.cases import CASES
from records.documents import DOCUMENTS
from records.offenders import IDENTIFIERS, OFFENDERS
from records.store import Store, iso
from retention import current, holds
from retention.errors import HoldActive, NotDue
from retention.review import RUNS, is_due
from retention.visibility import TOMBSTONES

logger = logging.getLogger(__name__)

TEXTS = "version_texts"  # search.texts.TEXTS: retention depends on records only
SEARCH_DELETIONS = "search_deletions"  # search.worker.DELETIONS, read by the index worker
_UNHELD: dict[str, Any] = {"held_by": {"$in": [None, []]}}
# Why a run left a record: on the run's results and its certificate.
NO_LONGER_DUE = "no longer due under the schedule as it stands (a rule or a date changed)"
NO_LONGER_APPROVED = "no longer approved for this run when its turn came"
HELD = "under a legal hold when its turn came"
GONE = "no longer on file when its turn came"


@dataclass(frozen=True)
class Outcome:
    document_id: ObjectId
    result: str  # destroyed, transferred, blocked
    detail: str = ""


async def claim(store: Store, document_id: ObjectId, run: dict[str, Any]) -> bool:
    """Step 1: approved → destroying, only while no hold marks the document."""
    claimed = await store.db[DOCUMENTS].update_one(
        {"_id": document_id, "review.run_id": run["_id"], "review.state": "approved", **_UNHELD},
        {"$set": {"review.state": "destroying"}},
    )
    return claimed.modified_count == 1


async def finish(store: Store, document_id: ObjectId, run: dict[str, Any]) -> dict[str, Any]:
    """Step 2: in one transaction, the holds read again and everything of the document removed."""

    async def destroy(session: AsyncClientSession) -> dict[str, Any]:
        document = await store.db[DOCUMENTS].find_one({"_id": document_id}, session=session)
        if document is None or (document.get("review") or {}).get("state") != "destroying":
            raise HoldActive("the document is no longer waiting to be destroyed")
        found = await holds.holds_on(store, document, session)
        if found:
            raise HoldActive(f"a legal hold ({found[0]['reason']}) was applied during destruction")
        # Read again too: a run taken up after a restart may come long after
        # its approval, and the schedule or the dates may have changed since.
        disposition = await current.disposition_of(store, document)
        if not is_due(disposition, store.now().date()):
            raise NotDue(NO_LONGER_DUE)
        gone = await store.db[DOCUMENTS].find_one_and_delete(
            {"_id": document_id, "review.state": "destroying", **_UNHELD}, session=session
        )
        if gone is None:
            raise HoldActive("a legal hold was applied during destruction")

        file_ids = [v["file_id"] for v in gone["versions"]]
        await store.db[files.CHUNKS].delete_many({"files_id": {"$in": file_ids}}, session=session)
        await store.db[files.FILES].delete_many({"_id": {"$in": file_ids}}, session=session)
        await store.db[TEXTS].delete_many({"document_id": document_id}, session=session)
        await store.db[SEARCH_DELETIONS].replace_one(
            {"_id": str(document_id)},
            {"_id": str(document_id), "at": store.now()},
            upsert=True,
            session=session,
        )
        await store.db[DOCUMENTS].update_many(
            {"manifest.sources.document_id": str(document_id)},
            {"$addToSet": {"contains_destroyed": str(document_id)}},
            session=session,
        )
        tombstone = await _tombstone(store, gone, run, disposition, session)
        await store.db[TOMBSTONES].insert_one(tombstone, session=session)
        await audit.record(
            store,
            SYSTEM,
            "retention.destroy",
            f"document:{document_id}",
            case_id=gone["case_id"],
            document_id=document_id,
            detail={
                "run": str(run["_id"]),
                "rule": tombstone["rule"],
                "proposed_by": run["proposed_by"],
                "approved_by": run["approved_by"],
                "sha256": tombstone["sha256"],
            },
            session=session,
        )
        return gone

    return await store.transaction(destroy)


async def _tombstone(
    store: Store,
    document: dict[str, Any],
    run: dict[str, Any],
    disposition: dict[str, Any],
    session: AsyncClientSession,
) -> dict[str, Any]:
    """What stays of a destroyed record: enough to prove what went, none of its content."""
    case = await store.db[CASES].find_one({"_id": document["case_id"]}, session=session) or {}
    offender = (
        await store.db[OFFENDERS].find_one({"_id": case.get("offender_id")}, session=session) or {}
    )
    return {
        "_id": document["_id"],
        "run_id": run["_id"],
        "title": document["title"],
        "doc_type": document["doc_type"],
        "document_date": document.get("document_date"),
        "protective_marking": document["protective_marking"],
        # Who may see the record's trace: those who could see the record.
        "restricted_to": document.get("restricted_to"),
        "shared_with_external": document.get("shared_with_external", False),
        "case_id": document["case_id"],
        "case_title": case.get("title"),
        "case_type": case.get("case_type"),
        "offender_id": case.get("offender_id"),
        "offender": {
            name: offender.get(name) for name in ("family_name", "given_names", *IDENTIFIERS)
        },
        "versions": len(document["versions"]),
        "sha256": [v["sha256"] for v in document["versions"]],
        "rule": disposition.get("rule"),
        "due": disposition.get("due"),
        "proposed_by": run["proposed_by"],
        "approved_by": run["approved_by"],
        "destroyed_at": store.now(),
    }


def forget_derived(data_dir: Path, sha256s: list[str], still_used: set[str]) -> None:
    """Remove thumbnails and cached conversions of bytes no surviving version has."""
    for sha in sha256s:
        if sha in still_used:
            continue
        for path in (
            data_dir / "thumbnails" / sha[:2] / f"{sha}.png",
            data_dir / "cache" / "pdf" / f"{sha}.pdf",
        ):
            path.unlink(missing_ok=True)


async def destroy_one(
    store: Store, data_dir: Path, document_id: ObjectId, run: dict[str, Any]
) -> Outcome:
    if not await claim(store, document_id, run):
        return await blocked(store, document_id, await _why_unclaimed(store, document_id, run))
    try:
        gone = await finish(store, document_id, run)
    except (HoldActive, NotDue) as exc:
        return await blocked(store, document_id, exc.detail)
    sha256s = [v["sha256"] for v in gone["versions"]]
    still = set(
        await store.db[DOCUMENTS].distinct("versions.sha256", {"versions.sha256": {"$in": sha256s}})
    )
    forget_derived(data_dir, sha256s, still)
    return Outcome(document_id, "destroyed")


async def _why_unclaimed(store: Store, document_id: ObjectId, run: dict[str, Any]) -> str:
    """Which of claim's conditions the document failed, for the run's record and certificate."""
    document = await store.db[DOCUMENTS].find_one({"_id": document_id}, {"review": 1, "held_by": 1})
    if document is None:
        return GONE
    return HELD if document.get("held_by") else NO_LONGER_APPROVED


async def blocked(store: Store, document_id: ObjectId, why: str) -> Outcome:
    await store.db[DOCUMENTS].update_one(
        {"_id": document_id, "review.state": {"$in": ["approved", "destroying"]}},
        {"$set": {"review.state": "blocked", "review.blocked": why}},
    )
    return Outcome(document_id, "blocked", why)


async def record_outcomes(store: Store, run: dict[str, Any], outcomes: list[Outcome]) -> None:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    await store.db[RUNS].update_one(
        {"_id": run["_id"]},
        {
            "$set": {
                "state": "done",
                "finished_at": store.now(),
                "counts": counts,
                "results": [
                    {"document_id": o.document_id, "result": o.result, "detail": o.detail}
                    for o in outcomes
                ],
            }
        },
    )
    logger.info("retention.run.done", extra={"run": str(run["_id"]), **counts})


def tombstone_view(tombstone: dict[str, Any]) -> dict[str, Any]:
    return {
        "document_id": str(tombstone["_id"]),
        "title": tombstone["title"],
        "doc_type": tombstone["doc_type"],
        "case_id": str(tombstone["case_id"]),
        "case_title": tombstone.get("case_title"),
        "offender": tombstone.get("offender") or {},
        "sha256": tombstone["sha256"],
        "rule": tombstone.get("rule"),
        "proposed_by": tombstone["proposed_by"],
        "approved_by": tombstone["approved_by"],
        "destroyed_at": iso(tombstone["destroyed_at"]),
    }


async def ensure_indexes(store: Store) -> None:
    await store.db[TOMBSTONES].create_indexes([IndexModel([("run_id", ASCENDING)])])
    await store.db[DOCUMENTS].create_indexes(
        [IndexModel([("manifest.sources.document_id", ASCENDING)], sparse=True)]
    )
