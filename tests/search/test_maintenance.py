"""Rebuilding while people search, and checking the index against the database."""

from __future__ import annotations

import asyncio

import tantivy
from bson import ObjectId

from records.store import Store
from search import maintenance
from search.errors import SearchError
from search.index import TantivyIndex, live_directory, make_live, new_directory
from search.worker import ExtractionSettings, Worker
from server.config import Settings
from tests.conftest import File, User
from tests.search.conftest import search, settle


async def test_reindex_swaps_in_a_new_index_while_searches_keep_working(
    store: Store, settings: Settings, worker: Worker, caseworker: User, file_document: File
) -> None:
    for _ in range(6):
        await file_document("office/testPDF.pdf")
    await settle(worker)
    before = live_directory(settings.search_dir)
    answers: list[int] = []
    rebuilding = True

    async def keep_searching() -> None:
        while rebuilding:
            answers.append((await search(caseworker.client, "toolkit"))["total"])
            await asyncio.sleep(0)

    searching = asyncio.create_task(keep_searching())
    try:
        rebuilt = await maintenance.rebuild(store, settings.search_dir)
        await asyncio.sleep(0.05)
    finally:
        rebuilding = False
        await searching

    assert rebuilt.documents == 6 and rebuilt.versions == 6
    assert live_directory(settings.search_dir) == rebuilt.folder != before
    assert answers and set(answers) == {6}
    assert (await search(caseworker.client, "toolkit"))["total"] == 6

    # The worker writes to the new index from then on, and removes the old.
    await file_document("office/testPDF.pdf")
    await settle(worker)
    assert worker.index.folder == rebuilt.folder
    assert before is not None and not before.exists()
    assert (await search(caseworker.client, "toolkit"))["total"] == 7


async def test_reindex_while_documents_are_filed_and_indexed_loses_none(
    store: Store, settings: Settings, worker: Worker, caseworker: User, file_document: File
) -> None:
    await file_document("office/testPDF.pdf")
    await settle(worker)
    filed = 1

    async def file_and_index() -> None:
        nonlocal filed
        for _ in range(8):
            await file_document("office/testPDF.pdf")
            filed += 1
            await worker.run_once()

    await asyncio.gather(maintenance.rebuild(store, settings.search_dir), file_and_index())
    await settle(worker)

    assert (await search(caseworker.client, "toolkit"))["total"] == filed == 9
    reader = TantivyIndex(settings.search_dir, writer=False)
    assert (await maintenance.check(store, reader)).clean


async def test_reindex_refuses_to_run_twice_at_once(store: Store, settings: Settings) -> None:
    results = await asyncio.gather(
        maintenance.rebuild(store, settings.search_dir),
        maintenance.rebuild(store, settings.search_dir),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, SearchError)]
    assert len(refused) == 1
    assert "already running" in refused[0].detail


async def test_check_is_clean_after_indexing(
    store: Store, settings: Settings, worker: Worker, file_document: File
) -> None:
    await file_document("office/testPDF.pdf")
    await file_document("office/testWORD.docx")
    await settle(worker)

    report = await maintenance.check(store, TantivyIndex(settings.search_dir, writer=False))

    assert report.clean


async def test_check_reports_missing_stale_and_orphaned_entries_and_repair_fixes_them(
    store: Store, settings: Settings, worker: Worker, caseworker: User, file_document: File
) -> None:
    lost = await file_document("office/testPDF.pdf")
    changed = await file_document("office/testWORD.docx", title="Before")
    await settle(worker)
    # Break the index three ways behind the worker's back (an entry with no
    # document is written through Tantivy itself: nothing of ours would).
    worker.index.delete_document(lost["id"])
    ghost = str(ObjectId())
    worker.index._require_writer().add_document(
        tantivy.Document.from_dict(
            {"document_id": ghost, "version": 1, "current": 1, "team": "ppcs"},
            worker.index._index.schema,
        )
    )
    worker.index.commit()
    await store.db["documents"].update_one(
        {"_id": ObjectId(changed["id"])}, {"$set": {"title": "After"}}
    )
    reader = TantivyIndex(settings.search_dir, writer=False)

    report = await maintenance.check(store, reader)

    assert report.missing == [(lost["id"], 1)]
    assert report.stale == [(changed["id"], 1)]
    assert report.orphaned == [(ghost, 1)]

    assert await maintenance.repair(store, report) == 3
    await settle(worker)

    assert (await maintenance.check(store, reader)).clean
    assert (await search(caseworker.client, "title:after"))["total"] == 1


async def test_check_counts_documents_still_waiting_for_the_worker(
    store: Store, settings: Settings, worker: Worker, file_document: File
) -> None:
    await file_document("office/testPDF.pdf")
    reader = TantivyIndex(settings.search_dir, writer=False)

    before = await maintenance.check(store, reader)
    await settle(worker)
    after = await maintenance.check(store, reader)

    assert (before.waiting, after.waiting) == (1, 0)
    assert before.clean and after.clean


async def test_reindex_leaves_out_a_record_it_cannot_index_and_check_reports_it(
    store: Store, settings: Settings, worker: Worker, caseworker: User, file_document: File
) -> None:
    fine = await file_document("office/testPDF.pdf")
    await settle(worker)
    broken = await store.db["documents"].insert_one(
        {
            "case_id": ObjectId(fine["case_id"]),
            "current_version": 1,
            "versions": [{"text_status": "done"}],
        }
    )

    rebuilt = await maintenance.rebuild(store, settings.search_dir)

    assert rebuilt.documents == 1
    assert not list(settings.search_dir.glob("building-*"))
    report = await maintenance.check(store, TantivyIndex(settings.search_dir, writer=False))
    assert report.unreadable == [str(broken.inserted_id)]
    assert (await search(caseworker.client, "toolkit"))["total"] == 1


async def test_lost_current_file_points_again_at_the_newest_index_not_an_empty_one(
    store: Store, settings: Settings, worker: Worker, caseworker: User, file_document: File
) -> None:
    await file_document("office/testPDF.pdf")
    await settle(worker)
    live = live_directory(settings.search_dir)
    (settings.search_dir / "CURRENT").write_text("index-gone\n")

    reopened = TantivyIndex(settings.search_dir, writer=False)

    assert reopened.folder == live
    assert reopened.count() == 1


async def test_index_written_before_a_field_was_added_is_replaced_and_filled_again(
    store: Store, settings: Settings, caseworker: User, file_document: File
) -> None:
    await file_document("office/testPDF.pdf")
    # As if indexed into the old index: only the worker's refill finds it again.
    await store.db["documents"].update_many({}, {"$set": {"index_dirty": False}})
    old = new_directory(settings.search_dir)
    fields = tantivy.SchemaBuilder()
    fields.add_text_field("document_id", stored=True)
    tantivy.Index(fields.build(), path=str(old))
    make_live(settings.search_dir, old)

    index = TantivyIndex(settings.search_dir, writer=True)
    upgraded = Worker(store, index, ExtractionSettings(), settings.data_dir / "scratch")
    stop = asyncio.Event()
    running = asyncio.create_task(upgraded.run(stop, poll_seconds=0.05))
    try:
        for _ in range(200):
            if index.count() == 1:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
        index.close()

    assert live_directory(settings.search_dir) != old
    assert (await search(caseworker.client, "toolkit"))["total"] == 1
