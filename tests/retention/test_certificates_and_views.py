"""Certificates of blocked and transfer runs, a record's state when looked up, and queries
and links the retention routes and pages refuse or ignore."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bson import ObjectId

from records.store import Store
from tests.conftest import Clock, File, User
from tests.retention.conftest import (
    add_rule,
    certificate,
    decide,
    due_documents,
    evaluated,
    queue_ids,
    stop_case,
)
from tests.web.conftest import browser_client, pages_signed_in

__all__ = ["browser_client"]


async def explained(client: httpx.AsyncClient, document_id: str) -> dict[str, Any]:
    got = await client.get(f"/retention/records/{document_id}")
    assert got.status_code == 200, got.text
    return dict(got.json())


async def test_record_state_says_no_rule_when_no_rule_matches(
    clock: Clock, records_manager: User, document: dict[str, Any]
) -> None:
    shown = await explained(records_manager.client, document["id"])

    assert shown["due"] is None and shown["governing_rule"] is None
    assert shown["state"] == "no_rule"


async def test_record_state_is_not_due_until_its_day_then_due(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    await add_rule(
        admin, code="recall-180", case_types=["recall"], trigger="case_closed", amount=180
    )
    filed = await file_document(title="Kept for long")
    await stop_case(caseworker.client, case["id"])
    await evaluated(store)

    far = await explained(records_manager.client, filed["id"])
    clock.advance(days=180 * 366)
    now_due = await explained(records_manager.client, filed["id"])

    assert far["due"] == "2206-03-02" and far["state"] == "not_due"
    assert now_due["state"] == "due"


async def test_record_state_says_retained_and_held_when_a_decision_or_hold_says_so(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    retained, held = await due_documents(store, clock, admin, caseworker, case, file_document)
    later = clock.at.date().replace(year=clock.at.year + 1).isoformat()
    kept = await decide(
        records_manager.client, [retained["id"]], "retain", until=later, reason="Appeal"
    )
    assert kept.status_code == 200, kept.text
    hold = await decide(
        records_manager.client, [held["id"]], "hold", hold_reason="mappa", note="Level 2"
    )
    assert hold.status_code == 200, hold.text

    assert (await explained(records_manager.client, retained["id"]))["state"] == "retained"
    assert (await explained(records_manager.client, held["id"]))["state"] == "held"
    clock.advance(days=367)
    assert (await explained(records_manager.client, retained["id"]))["state"] == "due"


async def test_certificate_of_a_transfer_says_transfer_and_what_was_destroyed_or_kept(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    common = {"case_types": ["recall"], "trigger": "case_closed", "action": "transfer"}
    await add_rule(admin, code="recall-transfer", **common)
    await add_rule(
        admin, code="licence-transfer-keep", doc_types=["licence"], after_transfer="keep", **common
    )
    gone = await file_document(title="Transferred then destroyed")
    kept = await file_document(title="Transferred and kept", doc_type="licence")
    held = await file_document(title="Held back")
    await stop_case(caseworker.client, case["id"])
    clock.advance(days=7 * 366)
    await evaluated(store)
    ids = [gone["id"], kept["id"], held["id"]]
    proposed = await decide(records_manager.client, ids, "transfer", reason="To the archive")
    assert proposed.status_code == 200, proposed.text
    hold = await records_manager.client.post(
        "/retention/holds",
        json={"reason": "litigation", "note": "Claim 9", "target": "document", "id": held["id"]},
    )
    assert hold.status_code == 201, hold.text
    approval = await second_manager.client.post(
        f"/retention/proposals/{proposed.json()['id']}/approval",
        json={"code": second_manager.totp()},
    )
    assert approval.status_code == 202, approval.text

    rows, text = await certificate(second_manager.client, approval.json()["id"])

    by_id = {r["document_id"]: r for r in rows}
    assert {i: (by_id[i]["outcome"], by_id[i]["in_package"]) for i in ids} == {
        gone["id"]: ("transferred_and_destroyed", "yes"),
        kept["id"]: ("transferred_and_kept", "yes"),
        held["id"]: ("blocked", "no"),
    }
    assert by_id[gone["id"]]["sha256"] == gone["versions"][0]["sha256"]
    assert "kept after transfer" in by_id[kept["id"]]["reason"]
    assert by_id[held["id"]]["reason"]
    assert "Certificate of transfer" in text and "Certificate of destruction" not in text
    assert "2 document(s) transferred: 1 destroyed after transfer" in text
    assert "1 kept after transfer" in text and "1 document(s) blocked" in text
    assert "Transferred, then destroyed (1)" in text and "Transferred and kept (1)" in text
    assert "under a legal hold" in by_id[held["id"]]["reason"]

    # The held record is free for a new decision once its hold is lifted; the
    # one kept after transfer has left the queue, though its rule is still due.
    stored = await store.db["documents"].find_one({"_id": ObjectId(held["id"])})
    assert stored is not None and stored["review"]["state"] == "blocked"
    lifted = await records_manager.client.post(
        f"/retention/holds/{hold.json()['id']}/lift", json={"note": "Claim settled"}
    )
    assert lifted.status_code == 200, lifted.text
    again = await decide(records_manager.client, [held["id"]], "transfer", reason="Now")
    assert again.status_code == 200, again.text
    assert await queue_ids(records_manager.client) == [held["id"]]
    assert await queue_ids(records_manager.client, state="transferred") == [kept["id"]]
    assert "Blocked: not destroyed (1)" in text and "Held back" in text


@pytest.mark.parametrize("value", ["maybe", "1", "yes", "TRUEISH"])
async def test_holds_list_refuses_an_all_that_is_not_true_or_false(
    records_manager: User, value: str
) -> None:
    refused = await records_manager.client.get("/retention/holds", params={"all": value})

    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["all"]


async def test_holds_list_all_true_adds_lifted_holds_and_false_leaves_them_out(
    records_manager: User, case: dict[str, Any]
) -> None:
    made = await records_manager.client.post(
        "/retention/holds",
        json={"reason": "other", "note": "Briefly", "target": "case", "id": case["id"]},
    )
    lifted = await records_manager.client.post(
        f"/retention/holds/{made.json()['id']}/lift", json={"note": "Done"}
    )
    assert lifted.status_code == 200, lifted.text

    listed = {
        value: len((await records_manager.client.get(f"/retention/holds{value}")).json()["items"])
        for value in ("", "?all=false", "?all=true", "?all=True")
    }

    assert listed == {"": 0, "?all=false": 0, "?all=true": 1, "?all=True": 1}


async def test_queue_page_announces_only_outcomes_it_knows(
    records_manager: User, browser_client: httpx.AsyncClient
) -> None:
    await pages_signed_in(browser_client, records_manager)

    spoofed = await browser_client.get("/retention", params={"done": "Call 0800 000 000 now"})
    known = await browser_client.get("/retention", params={"done": "destroy"})

    assert spoofed.status_code == known.status_code == 200
    assert "0800" not in spoofed.text and "govuk-notification-banner--success" not in spoofed.text
    assert "Destruction proposed: a second records manager must approve it" in known.text
