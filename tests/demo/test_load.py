"""The demo set filed for real: the same records from the same seed, once, extractable, buildable.

Two fresh databases are loaded once for the module with the same seed; the
tests compare them, load one again, extract its text with the real search
worker (real Tika) and build a dossier of each case's documents.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from demo import Loader, LoadSummary, describe
from demo.plan import offender_plans
from demo.prose import NOTICE
from dossier_builder import templates as dossier_templates
from dossier_builder.build import DossierWorker
from dossier_builder.request import request_dossier
from records import offenders, users
from records.actors import SYSTEM
from records.indexes import ensure_indexes
from records.store import Store
from records.tasks import DUE_SOON
from search.index import TantivyIndex
from search.texts import load_texts
from search.worker import ExtractionSettings, Worker, ensure_search_indexes
from tests.search.conftest import settle

SEED = 2026
# Offender 0 has a recall case and a parole review, offender 1 a restricted patient's case.
OFFENDERS = 2
COLLECTIONS = (
    "offenders",
    "cases",
    "documents",
    "users",
    "teams",
    "associations",
    "tasks",
    "fs.files",
)


@dataclass
class Loaded:
    store: Store
    summary: LoadSummary
    folder: Path

    def loader(self) -> Loader:
        return loader(self.store, self.folder)


def loader(store: Store, folder: Path) -> Loader:
    # Loads share a conversion cache, as two loads on one machine do.
    return Loader(store, seed=SEED, scratch=folder / "scratch", cache=folder / "cache")


@pytest.fixture(scope="module")
async def loaded(
    mongo_client: AsyncMongoClient[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Loaded, Loaded]]:
    folder = tmp_path_factory.mktemp("demo")
    made = []
    for _ in range(2):
        store = Store(client=mongo_client, db=mongo_client[f"test_demo_{uuid.uuid4().hex[:12]}"])
        await ensure_indexes(store)
        await dossier_templates.seed(store)
        made.append(Loaded(store, await loader(store, folder).load(OFFENDERS), folder))
    yield made[0], made[1]
    for each in made:
        await mongo_client.drop_database(each.store.db.name)


async def test_demo_load_gives_the_same_records_and_files_for_the_same_seed(
    loaded: tuple[Loaded, Loaded],
) -> None:
    first, second = loaded

    assert first.summary == second.summary
    assert await _records(first.store) == await _records(second.store)
    made = first.summary.created
    assert made["offenders"] == OFFENDERS and made["cases"] == 3 and made["dossiers"] == 1
    assert made["locks"] == 1 and made["associations"] == 2 and made["shared"] > 0
    assert made["versions"] > made["documents"] > 15


async def test_demo_cases_stand_in_their_workflow_states_with_deadlines_of_every_kind(
    loaded: tuple[Loaded, Loaded],
) -> None:
    first, _ = loaded
    store = first.store
    now = datetime.now(UTC)

    states = {c["title"]: c["state"] async for c in store.db["cases"].find({})}
    found = [t async for t in store.db["tasks"].find({})]
    overdue = [t for t in found if t["state"] == "open" and t["due_at"] < now]
    due_soon = [t for t in found if t["state"] == "open" and now <= t["due_at"] < now + DUE_SOON]
    met = [t for t in found if t["outcome"] == "met"]

    # The recall waits for its dossier, the parole review's dossier is disclosed.
    assert states["Parole review 2026"] == "disclosed"
    assert "dossier_preparation" in states.values()
    assert len(set(states.values())) == 3
    assert overdue and due_soon and met
    assert {t["title"] for t in overdue} >= {"Serve the recall dossier"}
    assert first.summary.deadlines == {
        "due": sum(t["state"] == "open" and t["due_at"] >= now for t in found),
        "overdue": len(overdue),
        "met": len(met),
    }
    assert "workflow deadlines on file: " in "\n".join(describe(first.summary))
    # Each move is in the audit trail, dated before the load.
    moves = [e async for e in store.db["audit"].find({"action": "case.transition"})]
    assert len(moves) == first.summary.created["transitions"] >= 6
    assert all(e["at"] < now - timedelta(hours=1) for e in moves)


async def test_demo_load_again_adds_nothing(loaded: tuple[Loaded, Loaded]) -> None:
    first, _ = loaded
    before = await _counts(first.store)

    again = await first.loader().load(OFFENDERS)

    assert again.nothing_new
    assert await _counts(first.store) == before
    assert "nothing new was needed" in describe(again)[0]


async def test_every_demo_document_is_extracted_with_its_notice(
    loaded: tuple[Loaded, Loaded],
) -> None:
    first, _ = loaded
    store = first.store
    await ensure_search_indexes(store)
    index = TantivyIndex(first.folder / "search", writer=True)
    worker = Worker(store, index, ExtractionSettings(), first.folder / "extract")
    try:
        await settle(worker)
    finally:
        index.close()

    names = {plan.person.family_name for plan in offender_plans(SEED, OFFENDERS)}
    filed = store.db["documents"].find({"doc_type": {"$ne": "dossier"}})
    checked = 0
    async for document in filed:
        texts = await load_texts(store, document["_id"])
        for version in document["versions"]:
            assert version["text_status"] == "done", (document["title"], version)
            text = " ".join(texts[version["number"]].split())
            # On the first page, before anything else but an e-mail's headers.
            assert NOTICE in text[:1500], document["title"]
            assert any(name in text for name in names), document["title"]
            checked += 1
    assert checked == first.summary.created["versions"]


async def test_every_demo_case_builds_a_dossier_of_all_its_documents(
    loaded: tuple[Loaded, Loaded],
) -> None:
    first, _ = loaded
    store = first.store
    admin = users.actor_of(await users.find_by_username(store, "demo-admin") or {})
    worker = DossierWorker(store, first.folder / "scratch", first.folder / "cache")

    async for case in store.db["cases"].find({}):
        filed = store.db["documents"].find({"case_id": case["_id"], "doc_type": {"$ne": "dossier"}})
        items = [{"document_id": str(d["_id"])} async for d in filed]
        body = {
            "title": "Every document",
            "sections": [{"title": "All", "items": items}],
            "options": {"missing": "placeholder"},
        }
        job = await request_dossier(store, admin, case, body)
        assert await worker.run_once()

        done = await store.db["jobs"].find_one({"_id": job["_id"]})
        assert done is not None and done["state"] == "done", done
        dossier = await store.db["documents"].find_one({"built_by_job": job["_id"]})
        assert dossier is not None
        assert len(dossier["manifest"]["sources"]) >= len(items)
        assert dossier["manifest"]["pages"] > 2 * len(items)


async def test_demo_load_with_documents_for_none_files_only_records(
    store: Store, tmp_path: Path
) -> None:
    summary = await Loader(store, seed=9, scratch=tmp_path).load(3, documents_for=0)

    assert summary.created["offenders"] == 3
    assert summary.created["documents"] == 0
    assert await store.db["documents"].count_documents({}) == 0
    assert await store.db["cases"].count_documents({}) == summary.created["cases"] >= 3
    assert "documents for the first 0" in describe(summary)[0]


async def _records(store: Store) -> dict[str, Any]:
    """Everything the demo decides, without the ids and times the database assigns."""
    offenders = {
        o["_id"]: o["nomis_number"]
        async for o in store.db["offenders"].find({}, {"nomis_number": 1})
    }
    cases = {c["_id"]: c async for c in store.db["cases"].find({})}
    return {
        "offenders": sorted(
            [_without(o, "_id", "created_at") async for o in store.db["offenders"].find({})],
            key=lambda o: o["nomis_number"],
        ),
        "cases": sorted(
            (
                offenders[c["offender_id"]],
                c["title"],
                c["case_type"],
                c["team"],
                c["created_by"],
                c["state"],
                c["state_seq"],
                c.get("ended"),
            )
            for c in cases.values()
        ),
        "tasks": sorted(
            [
                (cases[t["case_id"]]["title"], t["title"], t["state"], t["outcome"])
                async for t in store.db["tasks"].find({})
            ],
            key=repr,
        ),
        "documents": sorted(
            [
                _document(d, cases[d["case_id"]])
                async for d in store.db["documents"].find({"doc_type": {"$ne": "dossier"}})
            ],
            key=repr,
        ),
        "users": sorted(
            [
                _without(u, "_id", "created_at")
                async for u in store.db["users"].find({}, {"recovery_codes": 0})
            ],
            key=lambda u: u["username"],
        ),
        "associations": sorted(
            [
                (cases[a["case_id"]]["title"], a["username"])
                async for a in store.db["associations"].find({})
            ]
        ),
    }


def _document(document: dict[str, Any], case: dict[str, Any]) -> tuple[Any, ...]:
    lock = document.get("lock")
    return (
        case["title"],
        document["title"],
        document["doc_type"],
        document["document_date"],
        document["protective_marking"],
        document["metadata"],
        document["shared_with_external"],
        lock["holder"] if lock else None,
        [
            (v["number"], v["filename"], v["media_type"], v["size"], v["sha256"], v["comment"])
            for v in document["versions"]
        ],
    )


def _without(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in names}


async def _counts(store: Store) -> dict[str, int]:
    counts = {name: await store.db[name].count_documents({}) for name in COLLECTIONS}
    counts["versions"] = sum(
        [len(d["versions"]) async for d in store.db["documents"].find({}, {"versions": 1})]
    )
    counts["audit"] = await store.db["audit"].count_documents({})
    return counts


async def test_demo_load_skips_an_offender_whose_noms_number_is_taken(
    store: Store, tmp_path: Path
) -> None:
    planned = next(offender_plans(9, 1)).person
    await offenders.create_offender(
        store,
        SYSTEM,
        {
            "family_name": "Someone-Else",
            "given_names": "Already",
            "date_of_birth": "1971-02-03",
            "nomis_number": planned.nomis_number,
        },
    )

    summary = await Loader(store, seed=9, scratch=tmp_path).load(1, documents_for=0)

    assert summary.clashes == 1
    assert summary.created["offenders"] == 0 and summary.created["cases"] == 0
    assert await store.db["offenders"].count_documents({}) == 1
    assert "  1 offenders skipped: their NOMS numbers belong to other people" in describe(summary)
