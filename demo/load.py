"""Filing the demo set through the records layer, as its users would, once.

Everything goes through the same functions the API calls (offenders, cases,
documents, versions, locks, sharing, associations, dossier jobs), so the
audit trail, validation and search indexing treat the demo exactly as real
casework. Each record is looked up before it is made (an offender by PNC
ID and NOMS number, a case by its title, a document by the key in its metadata), so a
second load, or one after an interruption, adds only what is missing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bson import ObjectId

from demo import formats
from demo.errors import DemoError
from demo.plan import MARKER, CasePlan, DocumentPlan, OffenderPlan, offender_plans
from demo.prose import Thread, compose
from demo.schedule import at, backdating, count_deadlines, opened, schedule
from demo.staff import Staff, ensure_staff
from dossier_builder.build import DossierWorker
from dossier_builder.errors import DossierError
from dossier_builder.request import KIND, request_dossier
from records import access, cases, documents, files, jobs, locks, offenders, versions
from records.actors import Actor
from records.errors import Duplicate, InvalidInput
from records.store import Store
from records.working_days import LONDON

logger = logging.getLogger(__name__)

DEFAULT_OFFENDERS = 12
DEFAULT_SEED = 2026
# Far beyond any benchmark's need (10,000 records-only take about 3 minutes); a typo of
# 10**9 is refused.
MAX_OFFENDERS = 100_000
MAX_SEED = 2**63 - 1
# A demo file is a few pages; nothing generated comes near this.
MAX_FILE_BYTES = 16 * 1024 * 1024
DOSSIER_WAIT_SECONDS = 600.0
# Offenders filed at once: one's files are written while the database stores another's.
IN_FLIGHT = 4
Progress = Callable[[int, int], None]
MEDIA = {"pdf": "PDF", "docx": "Word", "eml": "e-mail"}
# A database holding any of these holds casework, the demo's or anyone's.
CASEWORK = (offenders.OFFENDERS, cases.CASES, documents.DOCUMENTS)


@dataclass
class LoadSummary:
    """What one load found and made: counts only, never a document's words."""

    seed: int
    offenders: int
    with_documents: int
    created: Counter[str] = field(default_factory=Counter)
    formats: Counter[str] = field(default_factory=Counter)
    # The workflow's deadlines on file after the load: due, overdue and met.
    deadlines: Counter[str] = field(default_factory=Counter)
    # Offenders skipped because their NOMS number already belongs to someone else.
    clashes: int = 0
    notes: list[str] = field(default_factory=list)
    dossier_pages: int | None = None

    @property
    def nothing_new(self) -> bool:
        return not +self.created


class Loader:
    def __init__(
        self,
        store: Store,
        *,
        seed: int,
        scratch: Path,
        cache: Path | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.seed = seed
        self.scratch = scratch
        self.cache = cache
        self.progress = progress

    async def load(self, count: int, *, documents_for: int | None = None) -> LoadSummary:
        """File the first count offenders of the seed and everything about them.

        documents_for, when given, files documents for that many offenders only; the
        others get their record and cases (a large set for benchmarks, loaded in minutes).
        """
        if not 1 <= count <= MAX_OFFENDERS:
            raise ValueError(f"offenders must lie between 1 and {MAX_OFFENDERS}, not {count}")
        if documents_for is not None and documents_for < 0:
            raise ValueError(f"documents_for must not be negative, not {documents_for}")
        with_documents = count if documents_for is None else min(documents_for, count)
        summary = LoadSummary(self.seed, count, with_documents=with_documents)
        staff = await ensure_staff(self.store)
        summary.created["users"] += staff.created

        started = time.monotonic()
        with backdating(self.store):
            await self._offenders(count, staff, summary, with_documents=with_documents)
        summary.deadlines.update(await count_deadlines(self.store))

        logger.info(
            "demo.loaded",
            extra={
                "seed": self.seed,
                "offenders": count,
                "created": dict(summary.created),
                "seconds": round(time.monotonic() - started, 1),
            },
        )
        return summary

    async def _offenders(
        self, count: int, staff: Staff, summary: LoadSummary, *, with_documents: int
    ) -> None:
        today = self.store.now().astimezone(LONDON).date()
        done = 0
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def one(plan: OffenderPlan) -> None:
            nonlocal done
            try:
                await self._offender(
                    plan, staff, summary, today, documents=plan.index < with_documents
                )
            finally:
                slots.release()
            done += 1
            if self.progress is not None:
                self.progress(done, count)

        try:
            async with asyncio.TaskGroup() as group:
                for plan in offender_plans(self.seed, count):
                    # Planned only when a slot is free, so memory stays flat however many.
                    await slots.acquire()
                    group.create_task(one(plan))
        except ExceptionGroup as failed:
            # The first failure is the one to report; the others were cancelled by it.
            raise failed.exceptions[0] from None

    async def _offender(
        self,
        plan: OffenderPlan,
        staff: Staff,
        summary: LoadSummary,
        today: date,
        *,
        documents: bool,
    ) -> None:
        who = plan.person
        # Found by PNC ID, then checked: the embedded database scans the whole collection
        # for a NOMS number, as it never uses the partial index that records.indexes
        # declares on it (0.4 s a lookup at 10,000 offenders, against 2 ms by PNC ID).
        found = await self.store.db[offenders.OFFENDERS].find_one({"pnc_number": who.pnc_number})
        if found is None or found.get("nomis_number") != who.nomis_number:
            try:
                actor = staff.caseworker(plan.cases[0].team)
                found = await offenders.create_offender(self.store, actor, _offender_fields(plan))
            except Duplicate:
                # Another seed's offender (or a real one) holds the number: leave them be.
                summary.clashes += 1
                return
            summary.created["offenders"] += 1
        elif (found["family_name"], found["date_of_birth"]) != (
            who.family_name,
            who.date_of_birth.isoformat(),
        ):
            summary.clashes += 1
            return

        for case in plan.cases:
            await self._case(plan, case, found, staff, summary, today, documents=documents)

    async def _case(
        self,
        plan: OffenderPlan,
        case: CasePlan,
        offender: dict[str, Any],
        staff: Staff,
        summary: LoadSummary,
        today: date,
        *,
        documents: bool,
    ) -> None:
        actor = staff.caseworker(case.team)
        record = await self.store.db[cases.CASES].find_one(
            {"offender_id": offender["_id"], "title": case.title}
        )
        fresh = record is None
        if record is None:
            with at(opened(case, today)):
                record = await cases.create_case(
                    self.store,
                    actor,
                    {
                        "offender_id": str(offender["_id"]),
                        "case_type": case.case_type,
                        "title": case.title,
                        "team": case.team,
                    },
                )
            summary.created["cases"] += 1

        if documents:
            for document in case.documents:
                await self._document(plan, case, document, record, actor, summary)
            if case.external:
                await self._associate(record, staff.external, actor, summary)
            if case.dossier_template:
                await self._dossier(case, record, actor, summary)
        # After the documents: some moves need them filed, or a dossier built. Only a
        # case this load opened is moved, so a second load changes nothing.
        if fresh:
            moved = await schedule(self.store, staff, record, case, today=today)
            summary.created["transitions"] += len(moved)

    async def _document(
        self,
        plan: OffenderPlan,
        case: CasePlan,
        document: DocumentPlan,
        record: dict[str, Any],
        actor: Actor,
        summary: LoadSummary,
    ) -> None:
        filed = await self.store.db[documents.DOCUMENTS].find_one(
            {"case_id": record["_id"], f"metadata.{MARKER}": document.key}
        )
        fresh = filed is None
        if filed is None:
            stored = await self._stage(plan, case, document, 1)
            filed = await _file(self.store, actor, record, self._fields(document), stored)
            summary.created["documents"] += 1
            summary.created["versions"] += 1
            summary.formats[document.fmt] += 1

        document_id = str(filed["_id"])
        for number in range(int(filed["current_version"]) + 1, document.versions + 1):
            stored = await self._stage(plan, case, document, number)
            await _add_version(
                self.store, actor, document_id, stored, comment=document.comments[number - 2]
            )
            summary.created["versions"] += 1
        # Only a document filed now is checked out: a lock that ran out since is left so.
        if fresh and document.checked_out:
            await locks.check_out(self.store, actor, document_id, minutes=locks.MAX_MINUTES)
            summary.created["locks"] += 1
        if document.shared_with_external and not filed.get("shared_with_external"):
            await documents.set_sharing(
                self.store, actor, document_id, {"shared_with_external": True}
            )
            summary.created["shared"] += 1

    def _fields(self, document: DocumentPlan) -> dict[str, Any]:
        return {
            "title": document.title,
            "doc_type": document.doc_type,
            "document_date": document.document_date.isoformat(),
            "protective_marking": document.marking,
            "metadata": {MARKER: document.key, "demo_seed": self.seed, "fictional": True},
        }

    async def _stage(
        self, plan: OffenderPlan, case: CasePlan, document: DocumentPlan, version: int
    ) -> files.StoredFile:
        """The version's file, written and streamed into GridFS as an upload would be."""
        content = render(plan, case, document, version)
        name = document.title.replace(":", " -")
        suffix = f" v{version}" if version > 1 else ""
        filename = f"{plan.person.nomis_number} {name}{suffix}.{document.fmt}"
        async with files.FileSink(self.store, filename, max_bytes=MAX_FILE_BYTES) as sink:
            await sink.write(content)
        assert sink.stored is not None
        return sink.stored

    async def _associate(
        self, record: dict[str, Any], external: Actor, actor: Actor, summary: LoadSummary
    ) -> None:
        already = await self.store.db[access.ASSOCIATIONS].count_documents(
            {"case_id": record["_id"], "user_id": external.id}, limit=1
        )
        if not already:
            await access.associate(self.store, actor, record, {"user_id": external.id})
            summary.created["associations"] += 1

    async def _dossier(
        self, case: CasePlan, record: dict[str, Any], actor: Actor, summary: LoadSummary
    ) -> None:
        """The case's dossier, asked for and built as the server builds one, then shared."""
        built = await self.store.db[documents.DOCUMENTS].count_documents(
            {"case_id": record["_id"], "doc_type": "dossier"}, limit=1
        )
        if built:
            return
        waiting = await self.store.db[jobs.JOBS].find_one(
            {"kind": KIND, "case_id": record["_id"], "state": {"$in": ["queued", "running"]}}
        )
        try:
            job = waiting or await request_dossier(
                self.store,
                actor,
                record,
                {
                    "template": case.dossier_template,
                    "options": {"marking": "OFFICIAL-SENSITIVE", "missing": "placeholder"},
                },
            )
            finished = await self._built(job["_id"])
        except (DossierError, InvalidInput) as exc:
            summary.notes.append(f"the dossier of {case.title!r} was not built: {exc.detail}")
            return

        document_id = finished["result"]["document_id"]
        await documents.set_sharing(self.store, actor, document_id, {"shared_with_external": True})
        dossier = await self.store.db[documents.DOCUMENTS].find_one({"_id": ObjectId(document_id)})
        summary.created["dossiers"] += 1
        summary.dossier_pages = int((dossier or {}).get("manifest", {}).get("pages", 0)) or None

    async def _built(self, job_id: ObjectId) -> dict[str, Any]:
        """The finished job; built here unless a running server's worker takes it first."""
        worker = DossierWorker(self.store, self.scratch, self.cache)
        deadline = time.monotonic() + DOSSIER_WAIT_SECONDS
        while time.monotonic() < deadline:
            job = await self.store.db[jobs.JOBS].find_one({"_id": job_id})
            if job is None:
                raise DemoError("the dossier job disappeared while it was being built")
            if job["state"] == "done":
                return job
            if job["state"] == "failed":
                raise DossierError(str(job["error"]))
            # run_once builds the oldest waiting dossier, ours or one queued before it.
            if not await worker.run_once():
                await asyncio.sleep(0.5)
        raise DemoError(f"the dossier was not built within {DOSSIER_WAIT_SECONDS:.0f} s")


async def holds_casework(store: Store) -> bool:
    """Whether any offender, case or document is on file (users and templates do not count)."""
    for collection in CASEWORK:
        if await store.db[collection].count_documents({}, limit=1):
            return True
    return False


def render(plan: OffenderPlan, case: CasePlan, document: DocumentPlan, version: int) -> bytes:
    """The bytes of one version of one document: the same for the same seed, always."""
    words = compose(plan, case, document, version)
    if isinstance(words, Thread):
        return formats.eml(words, key=f"{plan.seed}/{plan.index}/{case.key}/{document.key}")
    if document.fmt == "docx":
        return formats.word(words, title=document.title, marking=document.marking, version=version)
    return formats.pdf(words, title=document.title, marking=document.marking)


def _offender_fields(plan: OffenderPlan) -> dict[str, Any]:
    who = plan.person
    return {
        "family_name": who.family_name,
        "given_names": who.given_names,
        "date_of_birth": who.date_of_birth.isoformat(),
        "nomis_number": who.nomis_number,
        "pnc_number": who.pnc_number,
        "cro_number": who.cro_number,
        "prison_number": who.prison_number,
        "crn": who.crn,
        "aliases": list(who.aliases),
    }


async def _file(
    store: Store,
    actor: Actor,
    case: dict[str, Any],
    fields: dict[str, Any],
    stored: files.StoredFile,
) -> dict[str, Any]:
    """File a staged version as a new document; its bytes go if the filing fails."""
    try:
        return await documents.create_document(store, actor, case, fields, stored)
    except BaseException:
        await files.discard(store, stored.file_id)
        raise


async def _add_version(
    store: Store, actor: Actor, document_id: str, stored: files.StoredFile, *, comment: str
) -> None:
    try:
        await versions.add_version(store, actor, document_id, stored, comment=comment)
    except BaseException:
        await files.discard(store, stored.file_id)
        raise
