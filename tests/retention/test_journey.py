"""A case closes, years pass, its record falls due, a hold stops it, two people destroy it."""

from __future__ import annotations

import csv
import io
import zlib
from typing import Any

import bson
import pikepdf
import pypdfium2

from records.store import Store
from search.worker import Worker
from tests.conftest import CORPUS, Clock, File, User
from tests.retention.conftest import add_rule, decide, evaluated, queue_ids, stop_case
from tests.search.conftest import search, settle, worker

__all__ = ["worker"]

SOURCE = CORPUS / "office" / "testPDF.pdf"


async def everything_stored(store: Store) -> list[bytes]:
    """Every record of every collection, GridFS chunks included, as raw BSON."""
    found = []
    for name in await store.db.list_collection_names():
        async for record in store.db[name].find({}):
            found.append(bson.encode(record))
            if name == "version_texts":
                found.append(zlib.decompress(bytes(record["text"])))
    return found


async def test_closed_case_falls_due_is_held_then_destroyed_by_two_people(
    store: Store,
    clock: Clock,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    admin: User,
    case: dict[str, Any],
    file_document: File,
    worker: Worker,
) -> None:
    rule = await add_rule(admin, code="recall-closed", case_types=["recall"], trigger="case_closed")
    document = await file_document("office/testPDF.pdf", title="Licence conditions")
    await settle(worker)
    assert (await search(caseworker.client, "toolkit"))["total"] == 1
    pdf = SOURCE.read_bytes()
    needles = [pdf[len(pdf) // 2 : len(pdf) // 2 + 64], b"toolkit"]
    before = await everything_stored(store)
    assert all(any(n in record for record in before) for n in needles), "the scan can see them"
    await stop_case(caseworker.client, case["id"])

    assert await evaluated(store) == 1
    assert await queue_ids(records_manager.client) == []

    clock.advance(days=6 * 366)
    assert await evaluated(store) == 0, "nothing changed: nothing is written again"
    assert await queue_ids(records_manager.client) == [document["id"]]
    explained = (await records_manager.client.get(f"/retention/records/{document['id']}")).json()
    assert explained["governing_rule"] == rule["code"] and explained["due"] == "2032-03-02"

    held = await records_manager.client.post(
        "/retention/holds",
        json={"reason": "litigation", "note": "Claim 123", "target": "case", "id": case["id"]},
    )
    assert held.status_code == 201, held.text
    refused = await decide(records_manager.client, [document["id"]], "destroy")
    assert refused.status_code == 409
    assert "legal hold (Litigation)" in refused.json()["detail"]

    lifted = await records_manager.client.post(
        f"/retention/holds/{held.json()['id']}/lift", json={"note": "Claim settled"}
    )
    assert lifted.status_code == 200 and lifted.json()["lifted"]["by"] == records_manager.username
    assert await store.db["audit"].find_one({"action": "retention.hold.lift"}) is not None
    again = await records_manager.client.post(
        f"/retention/holds/{held.json()['id']}/lift", json={"note": "Lifted twice"}
    )
    assert again.status_code == 409, again.text
    assert "already lifted by" in again.json()["detail"]

    proposed = await decide(records_manager.client, [document["id"]], "destroy", reason="Time up")
    assert proposed.status_code == 200, proposed.text
    proposal = proposed.json()["id"]
    approval = f"/retention/proposals/{proposal}/approval"
    same = await records_manager.client.post(approval, json={"code": records_manager.totp()})
    assert same.status_code == 403 and "second records manager" in same.json()["detail"]
    wrong = await second_manager.client.post(approval, json={"code": "000000"})
    assert wrong.status_code == 403
    approved = await second_manager.client.post(approval, json={"code": second_manager.totp()})
    assert approved.status_code == 202, approved.text
    run_id = approved.json()["id"]

    run = (await second_manager.client.get(f"/retention/runs/{run_id}")).json()
    assert run["state"] == "done" and run["counts"] == {"destroyed": 1}
    await settle(worker)

    # Nothing of it answers anywhere.
    assert (await caseworker.client.get(f"/documents/{document['id']}")).status_code == 404
    content = await caseworker.client.get(f"/documents/{document['id']}/content")
    assert content.status_code == 404
    listed = (await caseworker.client.get(f"/cases/{case['id']}/documents")).json()["items"]
    assert listed == []
    assert (await search(caseworker.client, "toolkit"))["total"] == 0

    # Nor is it anywhere in the database or the index: not its bytes, nor its words.
    for record in await everything_stored(store):
        assert not [n for n in needles if n in record]
    assert not [key for key in worker.index.versions() if key[0] == document["id"]]
    tombstone = await store.db["retention_tombstones"].find_one({})
    assert tombstone is not None and tombstone["title"] == "Licence conditions"

    # The certificate lists what went, as CSV and as PDF.
    listed_csv = await second_manager.client.get(f"/retention/runs/{run_id}/certificate.csv")
    rows = list(csv.DictReader(io.StringIO(listed_csv.text)))
    assert [r["document_id"] for r in rows] == [document["id"]]
    assert rows[0]["sha256"] == document["versions"][0]["sha256"]
    assert rows[0]["proposed_by"] == records_manager.username
    assert rows[0]["approved_by"] == second_manager.username
    assert rows[0]["rule"] == "recall-closed"
    certificate = await second_manager.client.get(f"/retention/runs/{run_id}/certificate.pdf")
    assert certificate.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(certificate.content)) as opened:
        assert len(opened.pages) >= 1
    text = pypdfium2.PdfDocument(certificate.content)[0].get_textpage().get_text_range()
    assert "Licence conditions" in text and "Certificate of destruction" in text
