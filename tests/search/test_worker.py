"""The worker extracts, indexes and follows every change, from durable state alone."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bson import ObjectId

from records.store import Store
from search import maintenance
from search.index import TantivyIndex
from search.worker import Worker, ensure_search_indexes
from server.config import Settings
from tests.conftest import CORPUS, File, MakeUser, User, open_case
from tests.search.conftest import search, settle


async def version_state(store: Store, document: dict[str, Any], number: int = 1) -> dict[str, Any]:
    stored = await store.db["documents"].find_one({"_id": ObjectId(document["id"])})
    assert stored is not None
    return dict(next(v for v in stored["versions"] if v["number"] == number))


async def test_worker_filed_document_is_found_by_a_phrase_inside_it(
    worker: Worker, caseworker: User, file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf", title="Tika overview")
    assert document["versions"][0]["text_status"] == "pending"

    await settle(worker)

    found = await search(caseworker.client, '"content analysis toolkit"')
    assert found["total"] == 1
    [hit] = found["items"]
    assert hit["document_id"] == document["id"]
    assert hit["version"] == 1
    assert hit["title"] == "Tika overview"
    assert "<b>Content</b>" in hit["snippet"]
    shown = (await caseworker.client.get(f"/documents/{document['id']}")).json()
    assert shown["text_status"] == "done"
    assert shown["versions"][0]["text_status"] == "done"


async def test_worker_records_why_a_file_has_no_text(
    worker: Worker, caseworker: User, file_document: File
) -> None:
    document = await file_document("office/testWORD_protected_passtika.docx")

    await settle(worker)

    shown = (await caseworker.client.get(f"/documents/{document['id']}")).json()
    assert shown["versions"][0]["text_status"] == "failed"
    assert "password-protected" in shown["versions"][0]["text_reason"]
    # Still found by its title, though it has no text.
    assert (await search(caseworker.client, "title:report"))["total"] == 1


async def test_worker_new_version_replaces_the_old_in_default_results(
    worker: Worker, caseworker: User, file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf")
    await settle(worker)
    new = CORPUS / "office" / "testRTF.rtf"
    response = await caseworker.client.post(
        f"/documents/{document['id']}/versions",
        files={"file": ("report.rtf", new.read_bytes(), "application/octet-stream")},
    )
    assert response.status_code in (200, 201), response.text

    await settle(worker)

    assert (await search(caseworker.client, "toolkit"))["total"] == 0
    older = await search(caseworker.client, "toolkit", all_versions="true")
    assert [(h["document_id"], h["version"]) for h in older["items"]] == [(document["id"], 1)]
    current = await search(caseworker.client, "indexation")
    assert [(h["document_id"], h["version"]) for h in current["items"]] == [(document["id"], 2)]


async def test_worker_follows_a_metadata_change(
    worker: Worker, caseworker: User, file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf", title="Initial assessment")
    await settle(worker)

    response = await caseworker.client.patch(
        f"/documents/{document['id']}",
        json={"title": "Parole board summary", "doc_type": "psychiatric_report"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    await settle(worker)

    assert (await search(caseworker.client, "title:initial"))["total"] == 0
    assert (await search(caseworker.client, "title:parole"))["total"] == 1
    assert (await search(caseworker.client, "toolkit type:psychiatric_report"))["total"] == 1
    assert (await search(caseworker.client, "toolkit type:licence"))["total"] == 0


async def test_worker_extractor_crashing_twice_is_not_tried_again(
    store: Store, worker: Worker, file_document: File, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    worker.extractor_command = [
        sys.executable,
        "-c",
        f"import os; open({str(calls)!r}, 'a').write('x'); os.abort()",
    ]
    document = await file_document("office/testPDF.pdf")

    await settle(worker)
    await settle(worker)

    assert calls.read_text() == "xx"
    state = await version_state(store, document)
    assert state["text_status"] == "failed"
    assert state["text_attempts"] == 2
    stored = await store.db["documents"].find_one({"_id": ObjectId(document["id"])})
    assert stored is not None and stored["index_dirty"] is False


async def test_worker_resumes_an_extraction_a_killed_worker_left(
    store: Store, worker: Worker, caseworker: User, file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf")
    # What workers killed twice mid-extraction (two restarts) leave behind.
    await store.db["documents"].update_one(
        {"_id": ObjectId(document["id"]), "versions.number": 1},
        {"$set": {"versions.$.text_status": "extracting", "versions.$.text_starts": 2}},
    )

    await settle(worker)

    state = await version_state(store, document)
    assert state["text_status"] == "done"
    # The worker's deaths are not held against the file.
    assert state.get("text_attempts", 0) == 0
    assert state["text_starts"] == 3
    assert (await search(caseworker.client, "toolkit"))["total"] == 1


async def test_worker_gives_up_on_a_file_whose_extraction_is_always_interrupted(
    store: Store, worker: Worker, file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf")
    await store.db["documents"].update_one(
        {"_id": ObjectId(document["id"]), "versions.number": 1},
        {"$set": {"versions.$.text_status": "extracting", "versions.$.text_starts": 5}},
    )

    await settle(worker)

    state = await version_state(store, document)
    assert state["text_status"] == "failed"
    assert state["text_reason"] == (
        "extraction of this file was interrupted 5 times; it is not tried again"
    )


async def test_worker_second_teams_documents_never_appear_in_results_or_totals(
    worker: Worker, caseworker: User, make_user: MakeUser, file_document: File
) -> None:
    north = await make_user("caseworker", team="north")
    offender = await north.client.post(
        "/offenders",
        json={"family_name": "Other", "given_names": "Person", "date_of_birth": "1979-01-02"},
    )
    north_case = await open_case(
        north.client, offender.json()["id"], title="North recall", team="north"
    )
    await file_document("office/testPDF.pdf")
    for _ in range(3):
        await file_document("office/testPDF.pdf", client=north.client, case_id=north_case["id"])
    admin = await make_user("admin", team="hq")
    external = await make_user("caseworker", team="ppcs", external=True, organisation="Board")
    await settle(worker)

    mine = await search(caseworker.client, "toolkit")
    theirs = await search(north.client, "toolkit")
    everyone = await search(admin.client, "toolkit")
    outside = await search(external.client, "toolkit")

    assert mine["total"] == 1 and len(mine["items"]) == 1
    assert theirs["total"] == 3
    assert everyone["total"] == 4
    assert outside == {"total": 0, "items": [], "next_cursor": None}
    assert not {h["case_id"] for h in mine["items"]} & {h["case_id"] for h in theirs["items"]}
    # Even by asking for the other team's case outright.
    asked = await search(caseworker.client, "toolkit", case_id=north_case["id"])
    assert asked["total"] == 0


async def test_worker_follows_a_sharing_change(
    store: Store, settings: Settings, worker: Worker, caseworker: User, file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf")
    await settle(worker)
    reader = TantivyIndex(settings.search_dir, writer=False)

    response = await caseworker.client.put(
        f"/documents/{document['id']}/sharing", json={"shared_with_external": True}
    )
    assert response.status_code == 200, response.text
    behind = await maintenance.check(store, reader)
    await settle(worker)

    assert behind.stale == [(document["id"], 1)]
    assert (await maintenance.check(store, reader)).clean


async def test_worker_indexes_documents_filed_before_search_existed(
    store: Store, worker: Worker, caseworker: User, file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf")
    await store.db["documents"].update_one(
        {"_id": ObjectId(document["id"])},
        {"$unset": {"index_dirty": "", "index_generation": ""}},
    )

    await ensure_search_indexes(store)
    await settle(worker)

    assert (await search(caseworker.client, "toolkit"))["total"] == 1


async def test_worker_marks_a_version_whose_bytes_are_gone_and_indexes_the_rest(
    store: Store, worker: Worker, caseworker: User, file_document: File
) -> None:
    broken = await file_document("office/testWORD.docx")
    fine = await file_document("office/testPDF.pdf")
    state = await version_state(store, broken)
    await store.db["fs.chunks"].delete_many({"files_id": state["file_id"]})

    await settle(worker)

    assert (await version_state(store, broken))["text_status"] == "failed"
    assert (await version_state(store, broken))["text_reason"] == "the stored bytes are missing"
    found = await search(caseworker.client, "toolkit")
    assert [h["document_id"] for h in found["items"]] == [fine["id"]]


async def test_worker_one_unreadable_record_does_not_hold_up_the_others(
    store: Store, worker: Worker, caseworker: User, file_document: File
) -> None:
    fine = await file_document("office/testPDF.pdf")
    # A record no route could write: a version without its file.
    await store.db["documents"].insert_one(
        {
            "case_id": ObjectId(fine["case_id"]),
            "current_version": 1,
            "versions": [{"number": 1}],
            "index_dirty": True,
            "index_generation": 1,
        }
    )

    await settle(worker)

    found = await search(caseworker.client, "toolkit")
    assert [h["document_id"] for h in found["items"]] == [fine["id"]]
    # Set aside with its reason, so that it no longer comes round in every batch.
    assert await store.db["documents"].count_documents({"index_dirty": True}) == 0
    assert await store.db["documents"].count_documents({"index_error": "KeyError"}) == 1


async def test_worker_search_reaches_shared_cases_and_associated_external_users(
    worker: Worker, caseworker: User, make_user: MakeUser, case: dict[str, Any], file_document: File
) -> None:
    north = await make_user("caseworker", team="north")
    external = await make_user("viewer", team="board", external=True, organisation="Board")
    shared = await file_document("office/testPDF.pdf")
    await file_document("office/testPDF.pdf")
    await caseworker.client.put(
        f"/documents/{shared['id']}/sharing", json={"shared_with_external": True}
    )
    await settle(worker)
    assert (await search(north.client, "toolkit"))["total"] == 0

    await caseworker.client.post(
        f"/cases/{case['id']}/shares", json={"team": "north", "purpose": "Joint review"}
    )
    await caseworker.client.post(f"/cases/{case['id']}/associations", json={"user_id": external.id})

    colleague = await search(north.client, "toolkit")
    outside = await search(external.client, "toolkit")
    assert colleague["total"] == 2
    assert [h["document_id"] for h in outside["items"]] == [shared["id"]]
