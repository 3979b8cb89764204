"""The dossier worker: claims a dossier job, builds it, and files the result in the case.

Nothing is visible until the end: the bundle is written to the worker's
scratch folder, streamed into GridFS as a staged file, and filed as the
case's new `dossier` document, with its manifest, in one transaction. The
document carries its job's id under a unique index, so a job retried after
a crash between filing and finishing finds its dossier instead of filing a
second one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf
from bson import ObjectId
from pymongo.errors import PyMongoError

from dossier_builder.bundle import Assembly, Options, Section, Source, assemble
from dossier_builder.convert import to_pdf
from dossier_builder.errors import DossierError
from dossier_builder.request import KIND
from records import files, jobs, users
from records.actors import Actor
from records.cases import CASES
from records.documents import DOCUMENTS, SENSITIVE, create_document
from records.errors import RecordError
from records.offenders import OFFENDERS
from records.policy import can_see_document
from records.store import Store

logger = logging.getLogger(__name__)

BUILDER_VERSION = "1"
# How a build says how far it has got: a fraction and a message.
Report = Callable[[float, str], Awaitable[None]]
MAX_DOSSIER_BYTES = 8 * 1024**3


class DossierWorker:
    def __init__(self, store: Store, scratch: Path, cache: Path | None = None) -> None:
        self.store = store
        self.scratch = scratch
        # Conversions kept by the source's SHA-256: each document is converted once.
        self.cache = cache
        self.name = f"{socket.gethostname()}:{id(self):x}"

    async def run(self, stop: asyncio.Event, *, poll_seconds: float = 1.0) -> None:
        # What a killed worker left: half-built bundles and their sources.
        shutil.rmtree(self.scratch, ignore_errors=True)
        while not stop.is_set():
            try:
                worked = await self.run_once()
            except PyMongoError as exc:
                # The database went away for a moment (a restart); claimed jobs keep their lease.
                logger.warning(
                    "dossier.worker.database_unavailable", extra={"error": type(exc).__name__}
                )
                worked = False
            except Exception:
                # The job's lease runs out and it is claimed again (at most
                # jobs.MAX_ATTEMPTS times); this worker goes on with others.
                logger.exception("dossier.worker.build_failed")
                worked = False
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll_seconds)

    async def run_once(self) -> bool:
        """Build one waiting dossier; False when there was none."""
        job = await jobs.claim(self.store, KIND, self.name)
        if job is None:
            return False
        try:
            result = await self.build(job)
        except DossierError as exc:
            await jobs.fail(self.store, job, exc.detail)
            return True
        except RecordError as exc:
            await jobs.fail(self.store, job, exc.detail)
            return True
        await jobs.finish(self.store, job, result)
        logger.info("dossier.built", extra={"job": str(job["_id"])})
        return True

    async def build(self, job: dict[str, Any]) -> dict[str, Any]:
        filed = await self.store.db[DOCUMENTS].find_one({"built_by_job": job["_id"]}, {"_id": 1})
        if filed is not None:
            return {"document_id": str(filed["_id"])}
        self.scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="dossier-", dir=self.scratch) as folder:
            return await self._build(job, Path(folder))

    async def _build(self, job: dict[str, Any], folder: Path) -> dict[str, Any]:
        payload = job["payload"]
        case = await self.store.db[CASES].find_one({"_id": job["case_id"]})
        user = await self.store.db[users.USERS].find_one({"_id": _oid(job["created_by_id"])})
        if case is None or user is None:
            raise DossierError("the case or the user who asked for the dossier no longer exists")
        actor = users.actor_of(user)

        async def report(progress: float, message: str) -> None:
            await jobs.report(self.store, job, progress, message)

        out = folder / "dossier.pdf"
        assembly = await self.write(payload, case, folder, out, report=report)
        items = [item for section in payload["sections"] for item in section["items"]]

        await jobs.report(self.store, job, 0.9, f"filing the dossier of {assembly.pages} pages")
        stored = await _stage(self.store, out, _filename(payload["title"]))
        manifest = {
            "request": payload,
            "sources": [
                {
                    "document_id": item.get("document_id"),
                    "version": item.get("version"),
                    "sha256": item.get("sha256"),
                    "awaited": bool(item.get("awaited")),
                    "title": item["title"],
                    "first_page": placed.first_page,
                    "last_page": placed.last_page,
                }
                for item, placed in zip(items, assembly.placed, strict=True)
            ],
            "pages": assembly.pages,
            "printed_pages": assembly.printed_pages,
            "builder": {"version": BUILDER_VERSION, "pikepdf": pikepdf.__version__},
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "job_id": str(job["_id"]),
        }
        marking, limit = await self._inherited(items, actor)
        try:
            created = await create_document(
                self.store,
                actor,
                case,
                {"title": payload["title"], "doc_type": "dossier", "protective_marking": marking},
                stored,
                built={"built_by_job": job["_id"], "manifest": manifest, "restricted_to": limit},
            )
        except BaseException:
            await files.discard(self.store, stored.file_id)
            raise
        return {"document_id": str(created["_id"])}

    async def _inherited(
        self, items: list[dict[str, Any]], actor: Actor
    ) -> tuple[str, dict[str, list[str]] | None]:
        """The dossier's marking and limit: never lower or wider than its sources'.

        A dossier holding a document limited to named people is limited to
        those named on every such source, and always to the person who built
        it (who could see them all), so it is never visible to someone who
        could not read what went into it.
        """
        ids = [_oid(item["document_id"]) for item in items if not item.get("awaited")]
        sources = [d async for d in self.store.db[DOCUMENTS].find({"_id": {"$in": ids}})]
        marking = (
            SENSITIVE if any(d["protective_marking"] == SENSITIVE for d in sources) else "OFFICIAL"
        )
        limits = [d["restricted_to"] for d in sources if d.get("restricted_to")]
        if not limits:
            return marking, None
        for source in sources:
            if not can_see_document(actor, source):
                raise DossierError(f"{source['title']!r} is no longer open to the requester")
        common_users = set.intersection(*(set(lim.get("users") or ()) for lim in limits))
        common_teams = set.intersection(*(set(lim.get("teams") or ()) for lim in limits))
        return SENSITIVE, {
            "users": sorted(common_users | {actor.username}),
            "teams": sorted(common_teams),
        }

    async def write(
        self,
        payload: dict[str, Any],
        case: dict[str, Any],
        folder: Path,
        out: Path,
        *,
        report: Report,
    ) -> Assembly:
        """The dossier a checked request (a job's payload) asks for, written to out.

        folder holds the sources while it is made; nothing is filed. The
        worker files what this writes; `ppud dossier build` keeps it as a file.
        """
        items = [item for section in payload["sections"] for item in section["items"]]
        sources: list[Source] = []
        for number, item in enumerate(items):
            await report(
                0.7 * number / max(len(items), 1), f"preparing {number + 1} of {len(items)}"
            )
            sources.append(await self._source(item, folder, number))

        sections, taken = [], 0
        for section in payload["sections"]:
            count = len(section["items"])
            sections.append(
                Section(section["title"], sources[taken : taken + count], section["divider"])
            )
            taken += count
        options = await self._options(payload, case)
        await report(0.75, f"assembling {len(items)} documents")
        return await asyncio.to_thread(assemble, sections, options, out)

    async def _source(self, item: dict[str, Any], folder: Path, number: int) -> Source:
        if item.get("awaited"):
            return Source(item["title"], None, item["doc_type"])
        document = await self.store.db[DOCUMENTS].find_one({"_id": _oid(item["document_id"])})
        version = None
        if document is not None:
            version = next(
                (v for v in document["versions"] if v["number"] == item["version"]), None
            )
        if version is None or version["sha256"] != item["sha256"]:
            raise DossierError(f"{item['title']!r} version {item['version']} is no longer stored")
        raw = folder / f"{number}.source"
        with raw.open("wb") as out:
            await files.copy_version(self.store, version, out)
        pdf = await asyncio.to_thread(
            to_pdf,
            item["title"],
            raw,
            item["media_type"],
            folder / f"{number}.pdf",
            cache=self.cache,
            sha256=item["sha256"],
        )
        return Source(item["title"], pdf, item["doc_type"], item["document_date"])

    async def _options(self, payload: dict[str, Any], case: dict[str, Any]) -> Options:
        chosen = payload["options"]
        cover = None
        if chosen["cover"]:
            offender = await self.store.db[OFFENDERS].find_one({"_id": case["offender_id"]}) or {}
            name = " ".join(
                p for p in (offender.get("given_names"), offender.get("family_name")) if p
            )
            ids = ", ".join(
                f"{label} {offender[key]}"
                for key, label in (
                    ("nomis_number", "NOMIS"),
                    ("pnc_number", "PNC"),
                    ("cro_number", "CRO"),
                )
                if offender.get(key)
            )
            cover = [
                line
                for line in (
                    case.get("title", ""),
                    name,
                    ids,
                    datetime.now(UTC).strftime("%d %B %Y"),
                    chosen["marking"] or "",
                )
                if line
            ]
        return Options(
            title=payload["title"],
            marking=chosen["marking"],
            page_label=chosen["page_label"],
            start_page=chosen["start_page"],
            cover_lines=cover,
            # Jobs queued before these options existed build as they were asked.
            number_front_matter=chosen.get("number_front_matter", False),
            index=chosen.get("index", True),
        )


async def _stage(store: Store, path: Path, filename: str) -> files.StoredFile:
    async with files.FileSink(store, filename, max_bytes=MAX_DOSSIER_BYTES) as sink:
        with path.open("rb") as source:
            while piece := source.read(1024 * 1024):
                await sink.write(piece)
    assert sink.stored is not None
    return sink.stored


def _filename(title: str) -> str:
    safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip()
    return f"{safe[:100] or 'dossier'}.pdf"


def _oid(value: Any) -> ObjectId:
    return value if isinstance(value, ObjectId) else ObjectId(str(value))
