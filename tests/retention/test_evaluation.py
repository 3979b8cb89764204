"""Evaluation stores per case, a document's rule is chosen on reading, the queue pages by case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId

from records.store import Store
from retention import evaluate, queue_order, startup
from tests.conftest import Clock, File, User, open_case
from tests.retention.conftest import add_rule, evaluated, queue_ids, stop_case


async def _stored(store: Store, case_id: str) -> dict[str, Any]:
    found = await store.db[evaluate.DISPOSITIONS].find_one({"_id": ObjectId(case_id)})
    assert found is not None, "evaluation stored the case's dispositions"
    return found


async def test_a_case_record_holds_its_rules_in_precedence_and_documents_are_not_written(
    store: Store,
    caseworker: User,
    offender: dict[str, Any],
    case: dict[str, Any],
    file_document: File,
) -> None:
    await caseworker.client.patch(
        f"/offenders/{offender['id']}",
        json={"sentence_expiry_date": "2010-01-01", "date_of_death": "2001-06-30"},
    )
    document = await file_document()
    before = await store.db["documents"].find_one({"_id": ObjectId(document["id"])})

    assert await evaluated(store) == 1

    stored = await _stored(store, case["id"])
    assert [(r["rule"], r["due"].date().isoformat()) for r in stored["rules"]] == [
        ("recall-parole-sentence-expiry", "2017-01-01"),
        ("deceased", "2021-06-30"),
    ]
    assert stored["next_due"].date().isoformat() == "2017-01-01"
    after = await store.db["documents"].find_one({"_id": ObjectId(document["id"])})
    assert after == before, "evaluation reads and writes cases, never documents"

    # A changed fact changes the record on the next run, and only then.
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"sentence_expiry_date": "2012-05-05"}
    )
    assert (await _stored(store, case["id"]))["next_due"].date().isoformat() == "2017-01-01"
    assert await evaluated(store) == 1
    assert (await _stored(store, case["id"]))["next_due"].date().isoformat() == "2019-05-05"
    assert await evaluated(store) == 0


async def test_a_case_that_no_longer_exists_loses_its_record(
    store: Store, caseworker: User, offender: dict[str, Any], case: dict[str, Any]
) -> None:
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"sentence_expiry_date": "2010-01-01"}
    )
    await evaluated(store)
    await store.db["cases"].delete_one({"_id": ObjectId(case["id"])})

    done = await evaluate.evaluate(store)

    assert done.removed == 1
    assert await store.db[evaluate.DISPOSITIONS].count_documents({}) == 0


async def test_a_rule_dated_by_each_document_makes_each_due_on_its_own_date(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    await add_rule(admin, code="letters", doc_types=["correspondence"], trigger="document_date")
    older = await file_document(doc_type="correspondence", document_date="2021-01-10")
    newer = await file_document(doc_type="correspondence", document_date="2024-01-10")
    await file_document(doc_type="licence")

    await evaluated(store)

    stored = await _stored(store, case["id"])
    assert [r["rule"] for r in stored["rules"]] == ["letters"]
    assert stored["rules"][0]["due"] is None, "each document's own date decides"
    assert await queue_ids(records_manager.client) == [], "due 2027-01-10 and 2030-01-10"
    clock.advance(days=365)
    assert await queue_ids(records_manager.client) == [older["id"]]
    clock.advance(days=5 * 365)
    assert await queue_ids(records_manager.client) == [older["id"], newer["id"]]


async def test_the_queue_pages_by_case_then_document_without_losing_or_repeating(
    store: Store,
    caseworker: User,
    records_manager: User,
    offender: dict[str, Any],
    file_document: File,
) -> None:
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"sentence_expiry_date": "2010-01-01"}
    )
    filed = []
    for _ in range(3):
        opened = await open_case(caseworker.client, offender["id"])
        for _ in range(2):
            filed.append((opened["id"], (await file_document(case_id=opened["id"]))["id"]))
    await evaluated(store)

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        got = await records_manager.client.get("/retention/queue", params=params)
        assert got.status_code == 200, got.text
        seen += [item["document_id"] for item in got.json()["items"]]
        cursor = got.json()["next_cursor"]
        if cursor is None:
            break

    assert seen == [d for _, d in sorted(filed)]


async def test_a_cursor_the_server_never_issued_is_refused(records_manager: User) -> None:
    for cursor in ("not-a-cursor!", "AAAA", "x" * 200):
        got = await records_manager.client.get("/retention/queue", params={"cursor": cursor})
        assert got.status_code == 422, got.text
        assert got.headers["content-type"].startswith("application/problem+json")
        assert "cursor" in got.text


async def test_a_closed_case_is_looked_at_again_when_its_rules_change(
    store: Store, admin: User, caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    await file_document()
    await stop_case(caseworker.client, case["id"])
    assert await evaluated(store) == 1
    assert (await _stored(store, case["id"]))["rules"] == [], "no rule is dated by a closing yet"

    await add_rule(admin, code="closed-recalls", case_types=["recall"], trigger="case_closed")

    assert await evaluated(store) == 1
    assert [r["rule"] for r in (await _stored(store, case["id"]))["rules"]] == ["closed-recalls"]


async def test_dates_once_stored_on_documents_are_dropped_at_start(store: Store) -> None:
    # A database evaluated before dispositions moved to the cases.
    await store.db["documents"].insert_one({"title": "Old", "disposition": {"due": store.now()}})
    await store.db["documents"].create_index("disposition.due", sparse=True)

    await startup.prepare(store)

    assert await store.db["documents"].count_documents({"disposition": {"$exists": True}}) == 0
    assert "disposition.due_1" not in await store.db["documents"].index_information()
    await startup.prepare(store)


async def test_odd_metadata_and_odd_offender_ids_never_stop_a_run(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    offender: dict[str, Any],
    case: dict[str, Any],
    file_document: File,
) -> None:
    await add_rule(
        admin, code="flagged", trigger="last_activity", metadata_key="k", metadata_value="$gt"
    )
    listed = await file_document(metadata='{"k": ["$gt", 1]}')
    mapped = await file_document(metadata='{"k": {"b": "$gt"}}')
    matching = await file_document(metadata='{"k": "$gt"}')
    orphan = await open_case(caseworker.client, offender["id"])
    await store.db["cases"].update_one(
        {"_id": ObjectId(orphan["id"])}, {"$unset": {"offender_id": ""}}
    )

    done = await evaluate.evaluate(store)
    clock.advance(days=7 * 366)

    assert done.cases == 2, "the case without an offender is evaluated too"
    assert await queue_ids(records_manager.client) == [matching["id"]]
    for document in (listed, mapped, matching):
        explained = await records_manager.client.get(f"/retention/records/{document['id']}")
        assert explained.status_code == 200, explained.text


async def test_cases_with_odd_offender_ids_come_last_when_offenders_are_batched(
    store: Store, caseworker: User, offender: dict[str, Any], case: dict[str, Any]
) -> None:
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"sentence_expiry_date": "2010-01-01"}
    )
    orphan = await open_case(caseworker.client, offender["id"])
    await store.db["cases"].update_one(
        {"_id": ObjectId(orphan["id"])}, {"$set": {"offender_id": None}}
    )
    await store.db["offenders"].insert_many([{"family_name": f"Other {n}"} for n in range(3)])

    done = await evaluate.evaluate(store, batch=2)

    assert done.cases == 2
    assert (await _stored(store, orphan["id"]))["rules"] == []
    again = await evaluate.evaluate(store, batch=2)
    assert (again.cases, again.changed, again.removed) == (2, 0, 0)


async def test_any_date_field_of_offender_or_case_and_cases_of_offenders_gone(
    store: Store,
    admin: User,
    caseworker: User,
    offender: dict[str, Any],
    case: dict[str, Any],
    file_document: File,
) -> None:
    await add_rule(admin, code="tariff", trigger="offender.tariff.expiry", doc_types=["licence"])
    await add_rule(admin, code="hearing", trigger="case.hearing_date", doc_types=["other"])
    await file_document(doc_type="licence")
    await store.db["offenders"].update_one(
        {"_id": ObjectId(offender["id"])}, {"$set": {"tariff": {"expiry": "2015-03-01"}}}
    )
    await store.db["cases"].update_one(
        {"_id": ObjectId(case["id"])}, {"$set": {"hearing_date": datetime(2016, 4, 2, tzinfo=UTC)}}
    )
    # Cases of offenders no longer on record, their ids below and above every offender's.
    gone = []
    for offender_id in ("0" * 24, "f" * 24):
        opened = await open_case(caseworker.client, offender["id"])
        await store.db["cases"].update_one(
            {"_id": ObjectId(opened["id"])}, {"$set": {"offender_id": ObjectId(offender_id)}}
        )
        gone.append(opened["id"])
    await store.db["offenders"].insert_many([{"family_name": f"Other {n}"} for n in range(3)])

    done = await evaluate.evaluate(store, batch=2)

    assert done.cases == 3
    stored = await _stored(store, case["id"])
    assert {r["rule"]: r["due"].date().isoformat() for r in stored["rules"]} == {
        "tariff": "2021-03-01",
        "hearing": "2022-04-02",
    }
    for case_id in gone:
        assert (await _stored(store, case_id))["rules"] == []
    again = await evaluate.evaluate(store, batch=2)
    assert (again.cases, again.changed, again.removed) == (3, 0, 0)

    # A case moved to an offender of a later batch, and back to an earlier one.
    last = await store.db["offenders"].find_one({}, sort=[("_id", -1)])
    assert last is not None
    for moved_to, rules in (
        (last["_id"], ["hearing"]),
        (ObjectId(offender["id"]), ["tariff", "hearing"]),
    ):
        await store.db["cases"].update_one(
            {"_id": ObjectId(case["id"])}, {"$set": {"offender_id": moved_to}}
        )
        moved = await evaluate.evaluate(store, batch=2)
        stored = await _stored(store, case["id"])
        assert stored["offender_id"] == moved_to
        assert sorted(r["rule"] for r in stored["rules"]) == sorted(rules)
        assert moved.cases == 3
        assert await store.db[evaluate.DISPOSITIONS].count_documents({}) == 3


async def test_a_rule_may_be_called_none_and_still_be_explained(
    store: Store, admin: User, records_manager: User, file_document: File
) -> None:
    await add_rule(admin, code="none", doc_types=["licence"], trigger="last_activity", amount=8)
    await add_rule(admin, code="other", trigger="last_activity", amount=9)
    document = await file_document(doc_type="licence")

    explained = (await records_manager.client.get(f"/retention/records/{document['id']}")).json()

    assert explained["governing_rule"] == "none" == explained["rule"]
    assert [m["rule"] for m in explained["matching_rules"]] == ["none", "other"]


async def test_a_queue_filter_that_names_no_action_is_refused(records_manager: User) -> None:
    got = await records_manager.client.get("/retention/queue", params={"action": "bogus"})

    assert got.status_code == 422, got.text
    assert "action" in got.json()["detail"]


async def test_the_queue_reads_its_order_in_blocks_across_a_rebuild(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caseworker: User,
    records_manager: User,
    offender: dict[str, Any],
    file_document: File,
) -> None:
    monkeypatch.setattr(queue_order, "BLOCK_SIZE", 2)
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"sentence_expiry_date": "2010-01-01"}
    )
    filed = []
    for _ in range(5):
        opened = await open_case(caseworker.client, offender["id"])
        filed.append((opened["id"], (await file_document(case_id=opened["id"]))["id"]))
    await evaluated(store)
    current = await store.db[queue_order.BLOCKS].find_one({"_id": queue_order.CURRENT})
    assert current is not None and len(current["lasts"]) == 3, "five cases, two to a block"

    first = (await records_manager.client.get("/retention/queue", params={"limit": "3"})).json()
    # A new order is written between two pages: the cursor carries on from its case.
    await queue_order.rebuild(store, evaluate.DISPOSITIONS, ObjectId())
    assert await store.db[queue_order.BLOCKS].count_documents({}) == 4, "the old order is gone"
    rest = await records_manager.client.get(
        "/retention/queue", params={"limit": "3", "cursor": first["next_cursor"]}
    )

    seen = [i["document_id"] for i in first["items"] + rest.json()["items"]]
    assert seen == [d for _, d in sorted(filed)]
    assert rest.json()["next_cursor"] is None

    # An order whose blocks went (evaluations racing), or none at all: the records are read.
    await store.db[queue_order.BLOCKS].delete_many({"_id": {"$ne": queue_order.CURRENT}})
    assert await queue_ids(records_manager.client) == seen
    await store.db[queue_order.BLOCKS].delete_many({})
    assert await queue_ids(records_manager.client) == seen
