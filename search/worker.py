"""The search worker: extracts each new version's text and keeps the index in step.

Driven only by durable state in the database, so a crash or restart resumes
where it stopped:

- a version's `text_status` is `pending` until extracted (then `done`,
  `empty`, `skipped` or `failed` with `text_reason`); `text_attempts` counts
  the extractor's crashes on the file, so a file that kills the extractor is
  tried at most twice (`text_starts` caps retries after the worker's own
  deaths);
- a document's `index_dirty` is set by every change the index must follow,
  together with an `index_generation` counter; the worker clears the flag
  only if the generation it indexed is still the latest;
- `search_deletions` lists documents whose entries must go.

The worker is the index's only writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from records import files
from records.cases import CASES
from records.documents import DOCUMENTS, INDEX_DIRTY, INDEX_GENERATION
from records.policy import document_readers
from records.store import Store
from search.extract import Extracted
from search.index import Entry, TantivyIndex, live_directory, remove_stale
from search.isolation import Limits, Outcome, run_isolated
from search.texts import TEXTS, load_texts, save_text

logger = logging.getLogger(__name__)

DELETIONS = "search_deletions"
MAX_ATTEMPTS = 2
# Extractions started, whoever ended them: a worker killed mid-extraction
# (a restart, a deploy) is not the file's fault, but not for ever either.
MAX_STARTS = 5
MAX_FAILED_PASSES = 3
BATCH = 50
FINISHED = ("done", "empty", "skipped", "failed")


@dataclass(frozen=True)
class ExtractionSettings:
    tika_url: str | None = None
    limits: Limits = field(default_factory=Limits)
    max_chars: int = 5_000_000
    ocr: bool = True
    ocr_max_pages: int = 20
    ocr_timeout_seconds: int = 60

    def job(self, media_type: str, filename: str) -> dict[str, Any]:
        return {
            "media_type": media_type,
            "filename": filename,
            "tika_url": self.tika_url,
            "max_chars": self.max_chars,
            "ocr": self.ocr,
            "ocr_max_pages": self.ocr_max_pages,
            "ocr_timeout_seconds": self.ocr_timeout_seconds,
            "timeout_seconds": self.limits.timeout_seconds,
        }


async def ensure_search_indexes(store: Store) -> None:
    """The worker's own indexes, and a first indexing of documents filed before search."""
    await store.db[TEXTS].create_indexes([IndexModel([("document_id", ASCENDING)])])
    await store.db[DOCUMENTS].update_many(
        {"index_generation": {"$exists": False}},
        {"$set": {"index_dirty": True, "index_generation": 1}},
    )


class Worker:
    def __init__(
        self,
        store: Store,
        index: TantivyIndex,
        settings: ExtractionSettings,
        scratch: Path,
        *,
        extractor_command: list[str] | None = None,
    ) -> None:
        self.store = store
        self.index = index
        self.settings = settings
        self.scratch = scratch
        # Tests point this at a program that crashes or hangs, like a hostile file.
        self.extractor_command = extractor_command

    async def run(self, stop: asyncio.Event, *, poll_seconds: float = 1.0) -> None:
        """Work until stop is set, sleeping poll_seconds whenever nothing is waiting."""
        await ensure_search_indexes(self.store)
        self._clear_leftovers()
        if self.index.count() == 0:
            # An empty index (the first, or one that was lost): whatever the
            # database says was indexed is indexed again.
            await self.store.db[DOCUMENTS].update_many(
                {"index_dirty": {"$ne": True}}, {"$set": INDEX_DIRTY, "$inc": INDEX_GENERATION}
            )
        failures = 0
        while not stop.is_set():
            try:
                done = await self.run_once()
                failures = 0
            except Exception:
                # A pass fails as a whole only when the index or the database
                # does; a few in a row and this process is not fit to go on:
                # exit, and whoever started it starts a fresh one.
                failures += 1
                logger.exception("search.worker.pass_failed", extra={"in_a_row": failures})
                if failures >= MAX_FAILED_PASSES:
                    raise
                done = 0
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_seconds)

    async def run_once(self) -> int:
        """One batch: deletions, then up to BATCH changed documents. How many were handled."""
        self._follow_rebuild()
        deleted = [d["_id"] async for d in self.store.db[DELETIONS].find({}).limit(BATCH)]
        for document_id in deleted:
            self.index.delete_document(str(document_id))

        dirty = self.store.db[DOCUMENTS].find({"index_dirty": True}, {"_id": 1})
        ids = [d["_id"] async for d in dirty.limit(BATCH)]
        indexed: list[tuple[ObjectId, int, bool]] = []
        for document_id in ids:
            try:
                indexed.append(await self._refresh(document_id))
            except Exception as exc:
                # One document must not hold up the others, nor come round in
                # every batch: it is set aside with the reason, which `ppud
                # search check` reports; a change to it tries again.
                logger.exception("search.worker.document_failed", extra={"id": str(document_id)})
                await self.store.db[DOCUMENTS].update_one(
                    {"_id": document_id},
                    {"$set": {"index_dirty": False, "index_error": type(exc).__name__}},
                )
        if not deleted and not indexed:
            return 0

        self.index.commit()

        # Only now, with the entries durable in the index, mark the work done.
        now = datetime.now(UTC)
        if deleted:
            await self.store.db[DELETIONS].delete_many({"_id": {"$in": deleted}})
        cleared = []
        for document_id, generation, settled in indexed:
            if settled:
                done = await self.store.db[DOCUMENTS].update_one(
                    {"_id": document_id, "index_generation": generation},
                    {"$set": {"index_dirty": False, "indexed_at": now, "index_error": None}},
                )
                if done.modified_count:
                    cleared.append(document_id)
        if cleared and live_directory(self.index.root) != self.index.folder:
            # A rebuild was swapped in while this pass wrote to the old index,
            # perhaps after the rebuild re-marked what changed: mark it again.
            await self.store.db[DOCUMENTS].update_many(
                {"_id": {"$in": cleared}}, {"$set": INDEX_DIRTY, "$inc": INDEX_GENERATION}
            )
        return len(deleted) + len(indexed)

    def _clear_leftovers(self) -> None:
        """What a killed worker left: spooled copies of documents, OCR pages, old indexes."""
        if self.scratch.exists():
            shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir(parents=True, exist_ok=True)
        remove_stale(self.index.root, keep=self.index.folder)

    def _follow_rebuild(self) -> None:
        """After `ppud search reindex` swapped in a new index, write to that one."""
        live = live_directory(self.index.root)
        if live is not None and live != self.index.folder:
            logger.info("search.worker.index_swapped", extra={"folder": live.name})
            with contextlib.suppress(ValueError, RuntimeError):
                self.index.close()
            self.index = TantivyIndex(self.index.root, writer=True, folder=live)
            remove_stale(self.index.root, keep=live)

    async def _refresh(self, document_id: ObjectId) -> tuple[ObjectId, int, bool]:
        """Extract what is pending, then re-index every version of the document."""
        document = await self.store.db[DOCUMENTS].find_one({"_id": document_id})
        if document is None:
            self.index.delete_document(str(document_id))
            return document_id, 0, False
        generation = int(document.get("index_generation", 0))

        for version in document["versions"]:
            if version.get("text_status", "pending") not in FINISHED:
                version.update(await self._extract(document, version))

        case = await self.store.db[CASES].find_one({"_id": document["case_id"]})
        texts = await load_texts(self.store, document_id)
        entries = [
            entry_for(document, case or {}, version, texts.get(int(version["number"]), ""))
            for version in document["versions"]
            if version.get("text_status") in FINISHED
        ]
        self.index.replace_document(str(document_id), entries)

        current = _current(document)
        await self.store.db[DOCUMENTS].update_one(
            {"_id": document_id}, {"$set": {"text_status": current.get("text_status", "pending")}}
        )
        settled = all(v.get("text_status") in FINISHED for v in document["versions"])
        return document_id, generation, settled

    async def _extract(self, document: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
        """Extract one version and record the outcome on it; the fields changed."""
        number = int(version["number"])
        crashes = int(version.get("text_attempts", 0))
        starts = int(version.get("text_starts", 0))
        if crashes >= MAX_ATTEMPTS or starts >= MAX_STARTS:
            times, what = (
                (crashes, "the extractor crashed on this file")
                if (crashes >= MAX_ATTEMPTS)
                else (starts, "extraction of this file was interrupted")
            )
            return await self._record(
                document,
                number,
                Extracted("failed", reason=f"{what} {times} times; it is not tried again"),
            )
        # Count the start before starting: if the worker dies meanwhile, the
        # restarted one knows. Only the extractor's own crashes count as the
        # file's fault (text_attempts); the worker's death does not.
        await self._set_version(
            document["_id"], number, {"text_status": "extracting", "text_starts": starts + 1}
        )

        try:
            outcome = await self._run_extractor(version)
        except files.MissingBytes:
            return await self._record(
                document, number, Extracted("failed", reason="the stored bytes are missing")
            )
        logger.info(
            "search.extracted",
            extra={
                "document_id": str(document["_id"]),
                "version": number,
                "status": outcome.extracted.status,
                "chars": len(outcome.extracted.text),
                "crashed": outcome.crashed,
            },
        )
        if outcome.crashed:
            await self._set_version(document["_id"], number, {"text_attempts": crashes + 1})
        if outcome.crashed and crashes + 1 < MAX_ATTEMPTS:
            # Tried again on the next pass; the document stays dirty.
            return await self._set_version(document["_id"], number, {"text_status": "pending"})
        if outcome.extracted.status == "done":
            await save_text(
                self.store, document["_id"], number, version["sha256"], outcome.extracted.text
            )
        return await self._record(document, number, outcome.extracted)

    async def _run_extractor(self, version: dict[str, Any]) -> Outcome:
        self.scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.scratch, prefix="extract-") as spool:
            await files.copy_version(self.store, version, spool)
            spool.flush()
            job = self.settings.job(version["media_type"], version["filename"])
            job["scratch"] = str(self.scratch)
            return await asyncio.to_thread(
                run_isolated,
                Path(spool.name),
                job,
                self.settings.limits,
                command=self.extractor_command,
            )

    async def _record(
        self, document: dict[str, Any], number: int, extracted: Extracted
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {
            "text_status": extracted.status,
            "text_reason": extracted.reason,
            "text_truncated": extracted.truncated,
        }
        return await self._set_version(document["_id"], number, changes)

    async def _set_version(
        self, document_id: ObjectId, number: int, changes: dict[str, Any]
    ) -> dict[str, Any]:
        await self.store.db[DOCUMENTS].update_one(
            {"_id": document_id, "versions.number": number},
            {"$set": {f"versions.$.{name}": value for name, value in changes.items()}},
        )
        return changes


def _current(document: dict[str, Any]) -> dict[str, Any]:
    wanted = document["current_version"]
    return next(v for v in document["versions"] if v["number"] == wanted)


def entry_for(
    document: dict[str, Any], case: dict[str, Any], version: dict[str, Any], text: str
) -> Entry:
    """What the index holds for one version: the text, and what filters and sorts it."""
    return Entry(
        document_id=str(document["_id"]),
        version=int(version["number"]),
        current=version["number"] == document["current_version"],
        case_id=str(document["case_id"]),
        offender_id=str(case.get("offender_id", "")),
        team=str(case.get("team", "")),
        doc_type=str(document.get("doc_type", "")),
        marking=str(document.get("protective_marking", "")),
        shared=bool(document.get("shared_with_external", False)),
        readers=document_readers(document),
        date=_sort_date(document, version),
        title=str(document.get("title", "")),
        filename=str(version.get("filename", "")),
        text=text,
    )


# What the index can hold: nanoseconds since 1970 in 64 bits.
_EARLIEST = datetime(1678, 1, 1, tzinfo=UTC)
_LATEST = datetime(2261, 12, 31, tzinfo=UTC)


def _sort_date(document: dict[str, Any], version: dict[str, Any]) -> datetime:
    """The document's own date when it has one, else when the version was filed."""
    found = datetime(1970, 1, 1, tzinfo=UTC)
    stated = document.get("document_date")
    created = version.get("created_at")
    if isinstance(stated, str) and stated:
        with contextlib.suppress(ValueError):
            found = datetime.combine(datetime.fromisoformat(stated).date(), time.min, tzinfo=UTC)
    elif isinstance(created, datetime):
        found = created if created.tzinfo else created.replace(tzinfo=UTC)
    # A record from before the date checks could hold any year; it is still indexed.
    return min(max(found, _EARLIEST), _LATEST)
