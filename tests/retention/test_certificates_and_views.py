"""Certificates of blocked and transfer runs, a record's state when looked up, and queries
and links the retention routes and pages refuse or ignore."""

from __future__ import annotations

from typing import Any

import httpx

from records.store import Store
from tests.conftest import Clock, File, User
from tests.retention.conftest import add_rule, decide, evaluated, stop_case
from tests.retention.test_disposal import due_documents


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
