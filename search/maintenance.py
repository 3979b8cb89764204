"""Rebuilding the index from stored text, and checking it against the database."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bson import ObjectId

from records.cases import CASES
from records.documents import DOCUMENTS, INDEX_DIRTY, INDEX_GENERATION
from records.store import Store
from search.errors import SearchError
from search.index import TantivyIndex, fingerprint, finish_building, make_live, new_directory
from search.texts import load_texts
from search.worker import DELETIONS, FINISHED, entry_for

logger = logging.getLogger(__name__)

COMMIT_EVERY = 1000


@dataclass(frozen=True)
class Rebuilt:
    documents: int
    versions: int
    folder: Path


@dataclass
class Report:
    missing: list[tuple[str, int]] = field(default_factory=list)
    stale: list[tuple[str, int]] = field(default_factory=list)
    orphaned: list[tuple[str, int]] = field(default_factory=list)
    # Documents the worker has still to index: not wrong, only not yet done.
    waiting: int = 0
    # Documents set aside because the index could not take them (index_error).
    unreadable: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphaned or self.unreadable)


async def rebuild(store: Store, root: Path) -> Rebuilt:
    """Write a whole new index beside the live one, then swap it in with one rename.

    Searches keep reading the old index until the swap. Whatever the worker
    indexed into the old one meanwhile is marked to be indexed again, so
    nothing done during the rebuild is lost by it.
    """
    with _only_rebuild(root):
        return await _rebuild(store, root)


@contextlib.contextmanager
def _only_rebuild(root: Path) -> Iterator[None]:
    """One rebuild at a time: two would each swap in an index the other missed."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / "rebuild.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SearchError("another `ppud search reindex` is already running") from None
        yield


async def _rebuild(store: Store, root: Path) -> Rebuilt:
    started = datetime.now(UTC)
    folder = new_directory(root, building=True)
    try:
        documents, versions = await _fill(store, TantivyIndex(root, writer=True, folder=folder))
    except BaseException:
        # A rebuild that fails leaves the live index as it was, and no debris.
        shutil.rmtree(folder, ignore_errors=True)
        raise

    folder = finish_building(folder)
    make_live(root, folder)
    # Whatever the worker indexed into the old index since the start is done
    # again. What it clears after the swap it re-marks itself (worker.py).
    await store.db[DOCUMENTS].update_many(
        {"$or": [{"indexed_at": {"$gte": started}}, {"updated_at": {"$gte": started}}]},
        {"$set": INDEX_DIRTY, "$inc": INDEX_GENERATION},
    )
    logger.info("search.rebuilt", extra={"documents": documents, "versions": versions})
    return Rebuilt(documents, versions, folder)


async def _fill(store: Store, index: TantivyIndex) -> tuple[int, int]:
    documents = versions = 0
    try:
        async for document, case in _documents(store):
            texts = await load_texts(store, document["_id"])
            try:
                entries = [
                    entry_for(document, case, v, texts.get(int(v["number"]), ""))
                    for v in document["versions"]
                    if v.get("text_status") in FINISHED
                ]
                index.replace_document(str(document["_id"]), entries)
            except (KeyError, TypeError, ValueError) as exc:
                # A record the index cannot hold is left out and reported by
                # `ppud search check`, not allowed to stop the whole rebuild.
                logger.warning(
                    "search.rebuild.document_skipped",
                    extra={"id": str(document["_id"]), "error": type(exc).__name__},
                )
                continue
            documents += 1
            versions += len(entries)
            if documents % COMMIT_EVERY == 0:
                index.commit()
        index.commit()
    finally:
        index.close()
    return documents, versions


async def check(store: Store, index: TantivyIndex) -> Report:
    """Compare every finished version in the database with its index entry."""
    expected: dict[tuple[str, int], str] = {}
    report = Report()
    async for document, case in _documents(store):
        texts = await load_texts(store, document["_id"])
        for version in document.get("versions") or []:
            if version.get("text_status") not in FINISHED:
                continue
            try:
                entry = entry_for(document, case, version, texts.get(int(version["number"]), ""))
            except (KeyError, TypeError, ValueError):
                report.unreadable.append(str(document["_id"]))
                continue
            expected[(entry.document_id, entry.version)] = fingerprint(entry)

    indexed = index.versions()
    for key, print_ in sorted(expected.items()):
        if key not in indexed:
            report.missing.append(key)
        elif indexed[key] != print_:
            report.stale.append(key)
    report.orphaned = sorted(key for key in indexed if key not in expected)
    report.waiting = await store.db[DOCUMENTS].count_documents({"index_dirty": True})
    async for failed in store.db[DOCUMENTS].find({"index_error": {"$type": "string"}}, {"_id": 1}):
        if str(failed["_id"]) not in report.unreadable:
            report.unreadable.append(str(failed["_id"]))
    return report


async def repair(store: Store, report: Report) -> int:
    """Queue the fixes for the worker: re-index what is missing or stale, drop orphans."""
    ids = {document_id for document_id, _ in report.missing + report.stale + report.orphaned}
    ids |= set(report.unreadable)
    existing = {
        str(d["_id"])
        async for d in store.db[DOCUMENTS].find(
            {"_id": {"$in": [ObjectId(i) for i in ids if ObjectId.is_valid(i)]}}, {"_id": 1}
        )
    }
    if existing:
        await store.db[DOCUMENTS].update_many(
            {"_id": {"$in": [ObjectId(i) for i in existing]}},
            {"$set": INDEX_DIRTY, "$inc": INDEX_GENERATION},
        )
    gone = ids - existing
    for document_id in gone:
        # Orphans may have ids that are not ObjectIds; the worker deletes by string.
        await store.db[DELETIONS].replace_one(
            {"_id": document_id}, {"_id": document_id, "at": datetime.now(UTC)}, upsert=True
        )
    return len(ids)


async def _documents(store: Store) -> Any:
    """Every document with its case, in id order, a case looked up once."""
    cases: dict[ObjectId, dict[str, Any]] = {}
    async for document in store.db[DOCUMENTS].find({}).sort("_id", 1):
        case_id = document["case_id"]
        if case_id not in cases:
            cases[case_id] = await store.db[CASES].find_one({"_id": case_id}) or {}
        yield document, cases[case_id]
