"""Holds against destruction, the race between them, transfer as BagIt, and the dry run."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import bagit
import pytest
from bson import ObjectId

from records.store import Store
from retention import destroy, holds, runs
from retention.errors import HoldActive
from retention.review import RUNS
from tests.conftest import Clock, File, Ppud, User
from tests.retention.conftest import (
    add_rule,
    approved_run,
    approved_run_of,
    certificate,
    decide,
    due_documents,
    evaluated,
    queue_ids,
    stop_case,
)


async def test_hold_applied_while_destruction_runs_wins(
    store: Store,
    clock: Clock,
    settings: Any,
    admin: User,
    caseworker: User,
    records_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    document = (await due_documents(store, clock, admin, caseworker, case, file_document, count=1))[
        0
    ]
    proposed = await decide(records_manager.client, [document["id"]], "destroy")
    oid = ObjectId(document["id"])
    run = {"_id": ObjectId(), "proposed_by": "a", "approved_by": "b"}
    await store.db["documents"].update_one(
        {"_id": oid}, {"$set": {"review.state": "approved", "review.run_id": run["_id"]}}
    )
    assert proposed.status_code == 200

    # Destruction has claimed the document; a hold lands before it finishes.
    assert await destroy.claim(store, oid, run)
    await holds.apply_hold(
        store,
        replace(records_manager.actor, records_manager=True),
        {
            "reason": "inquiry_moratorium",
            "note": "Inquiry",
            "target": "document",
            "id": document["id"],
        },
    )
    with pytest.raises(HoldActive, match="legal hold"):
        await destroy.finish(store, oid, run)

    kept = await store.db["documents"].find_one({"_id": oid})
    assert kept is not None and kept["held_by"]
    assert (await caseworker.client.get(f"/documents/{document['id']}/content")).status_code == 200
    assert await store.db["retention_tombstones"].count_documents({}) == 0


async def test_hold_on_the_offender_blocks_an_approved_run(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    filed = await due_documents(store, clock, admin, caseworker, case, file_document)
    ids = [d["id"] for d in filed]
    proposed = await decide(records_manager.client, ids, "destroy")
    # Applied straight into the database between approval and the run, as another process would.
    await store.db["retention_holds"].insert_one(
        {
            "target": "offender",
            "target_offender": ObjectId(case["offender_id"]),
            "reason": "mappa",
            "note": "MAPPA level 3",
            "applied_by": "x",
            "applied_at": clock.at,
            "lifted": None,
        }
    )
    approval = await second_manager.client.post(
        f"/retention/proposals/{proposed.json()['id']}/approval",
        json={"code": second_manager.totp()},
    )
    run = (await second_manager.client.get(f"/retention/runs/{approval.json()['id']}")).json()

    assert run["counts"] == {"blocked": 2}
    assert (
        await store.db["documents"].count_documents({"_id": {"$in": [ObjectId(i) for i in ids]}})
        == 2
    )
    # Its certificate lists each record kept, and why, without any of its content.
    rows, text = await certificate(second_manager.client, run["id"])
    assert {r["document_id"]: r["outcome"] for r in rows} == dict.fromkeys(ids, "blocked")
    assert {r["title"] for r in rows} == {"Report 0", "Report 1"}
    assert all(r["reason"] and r["case_title"] == case["title"] for r in rows)
    assert all(r["sha256"] == r["destroyed_at"] == "" for r in rows), "nothing was destroyed"
    assert "Certificate of destruction" in text
    assert "0 document(s) destroyed" in text and "2 document(s) blocked" in text
    assert "Blocked: not destroyed (2)" in text
    assert "Report 0" in text and "Report 1" in text and rows[0]["reason"] in text
    assert "toolkit" not in text.lower(), "the corpus PDF's words"


async def test_transfer_writes_a_bag_then_destroys(
    store: Store,
    clock: Clock,
    settings: Any,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    case: dict[str, Any],
    file_document: File,
    ppud: Ppud,
) -> None:
    filed = await due_documents(
        store, clock, admin, caseworker, case, file_document, action="transfer"
    )
    assert await queue_ids(records_manager.client, action="transfer") == [d["id"] for d in filed]
    reported = await ppud("retention", "report", "--as-of", clock.at.date().isoformat())
    statuses = {r["status"] for r in csv.DictReader(io.StringIO(reported.stdout))}
    assert statuses == {"would be transferred and destroyed"}

    run = await approved_run(records_manager, second_manager, [d["id"] for d in filed], "transfer")

    bag = bagit.Bag(str(Path(settings.data_dir) / "transfers" / f"run-{run['id']}"))
    bag.validate()
    assert "sha256" in bag.algorithms
    for document in filed:
        meta = json.loads((Path(bag.path) / "data" / document["id"] / "metadata.json").read_text())
        assert meta["versions"][0]["sha256"] == document["versions"][0]["sha256"]
    done = (await second_manager.client.get(f"/retention/runs/{run['id']}")).json()
    assert done["counts"] == {"destroyed": 2} and done["package"]


async def test_retain_until_takes_a_record_out_of_the_queue_until_then(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    document = (await due_documents(store, clock, admin, caseworker, case, file_document, count=1))[
        0
    ]
    later = (clock.at.date().replace(year=clock.at.year + 1)).isoformat()

    kept = await decide(
        records_manager.client, [document["id"]], "retain", until=later, reason="Appeal pending"
    )

    assert kept.status_code == 200, kept.text
    assert await queue_ids(records_manager.client) == []
    assert await queue_ids(records_manager.client, as_of=later) == [document["id"]]
    event = await store.db["audit"].find_one({"action": "retention.retain"})
    assert event is not None and event["detail"]["reason"] == "Appeal pending"


async def test_records_managers_see_only_their_cases_and_others_are_refused(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    make_records_manager: Any,
    case: dict[str, Any],
    file_document: File,
) -> None:
    document = (await due_documents(store, clock, admin, caseworker, case, file_document, count=1))[
        0
    ]
    elsewhere = await make_records_manager(team="north")

    assert await queue_ids(elsewhere.client) == []
    assert (await elsewhere.client.get(f"/retention/records/{document['id']}")).status_code == 404
    refused = await decide(elsewhere.client, [document["id"]], "destroy")
    assert refused.status_code == 404
    plain = await caseworker.client.get("/retention/queue")
    assert plain.status_code == 403 and "records managers" in plain.json()["detail"]


async def test_dry_run_report_changes_nothing(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    case: dict[str, Any],
    file_document: File,
    ppud: Ppud,
) -> None:
    filed = await due_documents(store, clock, admin, caseworker, case, file_document)
    await holds.apply_hold(
        store,
        replace(records_manager.actor, records_manager=True),
        {"reason": "foi_request", "note": "FOI 42", "target": "document", "id": filed[0]["id"]},
    )
    before = [d async for d in store.db["documents"].find({}).sort("_id", 1)]
    collections = sorted(await store.db.list_collection_names())

    done = await ppud("retention", "report", "--as-of", "2040-01-01")

    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["document_id"]: r["status"] for r in rows} == {
        filed[0]["id"]: "held",
        filed[1]["id"]: "would be destroyed",
    }
    assert rows[1]["due"] == "2032-03-02" and rows[1]["rule"] == "recall-closed"
    assert [d async for d in store.db["documents"].find({}).sort("_id", 1)] == before
    assert sorted(await store.db.list_collection_names()) == collections
    early = await ppud("retention", "report", "--as-of", "2030-02-30")
    assert early.returncode == 2 and "YYYY-MM-DD" in early.stderr
    beyond = await ppud("retention", "report", "--as-of", "9999-12-31")
    assert beyond.returncode == 2 and "2199-12-31" in beyond.stderr
    assert "Traceback" not in beyond.stderr


async def test_a_limited_document_stays_hidden_in_proposals_runs_certificates_and_the_audit(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    make_records_manager: Any,
    case: dict[str, Any],
    file_document: File,
) -> None:
    first = await make_records_manager(team="hq", level="admin")
    second = await make_records_manager(team="hq", level="admin")
    outsider = await make_records_manager()
    await add_rule(admin, code="recall-closed", case_types=["recall"], trigger="case_closed")
    limited = await file_document(title="Victim statement", protective_marking="OFFICIAL-SENSITIVE")
    open_one = await file_document(title="Licence")
    named = [caseworker.username, first.username, second.username]
    restricted = await caseworker.client.put(
        f"/documents/{limited['id']}/restriction", json={"users": named}
    )
    assert restricted.status_code == 200, restricted.text
    await stop_case(caseworker.client, case["id"])
    clock.advance(days=7 * 366)
    await evaluated(store)
    assert await queue_ids(outsider.client) == [open_one["id"]]

    proposed = await decide(first.client, [limited["id"], open_one["id"]], "destroy")
    assert proposed.status_code == 200, proposed.text
    listed = (await outsider.client.get("/retention/proposals")).json()["items"]
    assert listed == [], "a proposal naming a document they may not see is not theirs to list"
    # The proposer's own team manager reads their events, but not the limited document's.
    team_manager = await make_records_manager(team="hq")
    team_trail = await team_manager.client.get("/audit")
    assert team_trail.status_code == 200, team_trail.text
    assert limited["id"] not in team_trail.text
    actions = {e["action"]: e["detail"] for e in team_trail.json()["items"]}
    assert actions["retention.propose.destroy"]["documents"] == 2
    limited_trail = await first.client.get("/audit", params={"document_id": limited["id"]})
    assert "retention.propose.document" in {e["action"] for e in limited_trail.json()["items"]}
    run = await approved_run_of(second, proposed.json()["id"])

    for path in (f"/retention/runs/{run}", f"/retention/runs/{run}/certificate.csv"):
        assert (await outsider.client.get(path)).status_code == 404, path
    assert (await outsider.client.get("/retention/runs")).json()["items"] == []
    certificate = await first.client.get(f"/retention/runs/{run}/certificate.csv")
    assert certificate.status_code == 200 and "Victim statement" in certificate.text
    # Destroyed, the document leaves a tombstone with its limit: its events stay hidden.
    assert await store.db["documents"].count_documents({}) == 0
    trail = await outsider.client.get("/audit", params={"case_id": case["id"]})
    exported = await outsider.client.get("/audit.csv", params={"case_id": case["id"]})
    for answer in (trail.text, exported.text):
        assert limited["id"] not in answer and "Victim statement" not in answer
        assert open_one["id"] in answer
    destroyed = await first.client.get("/audit", params={"document_id": limited["id"]})
    assert "retention.destroy" in {e["action"] for e in destroyed.json()["items"]}


async def test_runs_resume_after_a_restart(
    store: Store,
    clock: Clock,
    settings: Any,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    filed = await due_documents(store, clock, admin, caseworker, case, file_document, count=1)
    run = await approved_run(records_manager, second_manager, [filed[0]["id"]])
    # As if the process died before its run finished: taken up again, nothing is done twice.
    await store.db[RUNS].update_one({"_id": ObjectId(run["id"])}, {"$set": {"state": "running"}})

    assert await runs.resume(store, settings.data_dir) == 1
    again = await store.db[RUNS].find_one({"_id": ObjectId(run["id"])})
    assert again is not None and again["counts"] == {"blocked": 1}
    assert await store.db["retention_tombstones"].count_documents({}) == 1
