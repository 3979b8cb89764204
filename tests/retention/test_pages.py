"""The records managers' pages: the queue with its decisions, and holds applied and lifted."""

from __future__ import annotations

from typing import Any

import httpx

from records.store import Store
from tests.conftest import Clock, File, User, open_case
from tests.retention.conftest import decide, due_documents, wrong_codes
from tests.web.conftest import browser_client, pages_signed_in

__all__ = ["browser_client"]


async def test_queue_page_lists_due_records_and_proposes_their_destruction(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    case: dict[str, Any],
    file_document: File,
    browser_client: httpx.AsyncClient,
) -> None:
    filed = await due_documents(store, clock, admin, caseworker, case, file_document, count=1)
    await store.db["documents"].update_one({}, {"$set": {"title": "<script>alert(1)</script>"}})
    token = await pages_signed_in(browser_client, records_manager)

    shown = await browser_client.get("/retention")

    assert shown.status_code == 200
    assert 'href="/retention"' in shown.text, "the header links the records manager here"
    assert "<script>alert(1)</script>" not in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    no_token = await browser_client.post(
        "/retention/decisions", data={"document_ids": filed[0]["id"], "decision": "destroy"}
    )
    assert no_token.status_code == 403
    proposed = await browser_client.post(
        "/retention/decisions",
        data={"csrf_token": token, "document_ids": filed[0]["id"], "decision": "destroy"},
    )
    assert proposed.status_code == 303, proposed.text
    listed = await browser_client.get("/retention", params={"state": "proposed"})
    assert "You proposed this" in listed.text
    bad = await browser_client.get("/retention", params={"as_of": "2026-13-01"})
    assert bad.status_code == 422 and "Due on must be a real date" in bad.text
    assert "invalid fields" not in bad.text


async def test_holds_page_applies_and_lifts_a_hold(
    store: Store,
    records_manager: User,
    case: dict[str, Any],
    browser_client: httpx.AsyncClient,
) -> None:
    token = await pages_signed_in(browser_client, records_manager)

    missing = await browser_client.post(
        "/retention/holds", data={"csrf_token": token, "target": "case", "id": case["id"]}
    )
    assert missing.status_code == 422 and "Reason is required" in missing.text
    applied = await browser_client.post(
        "/retention/holds",
        data={
            "csrf_token": token,
            "target": "case",
            "id": case["id"],
            "reason": "mappa",
            "note": "<b>MAPPA</b> level 2",
        },
    )
    assert applied.status_code == 303, applied.text
    shown = await browser_client.get("/retention/holds")
    assert "&lt;b&gt;MAPPA&lt;/b&gt; level 2" in shown.text
    hold = await store.db["retention_holds"].find_one({})
    assert hold is not None

    lifted = await browser_client.post(
        f"/retention/holds/{hold['_id']}/lift", data={"csrf_token": token, "lift-note": "Ended"}
    )

    assert lifted.status_code == 303
    assert "No hold is in force" in (await browser_client.get("/retention/holds")).text
    again = await browser_client.post(
        f"/retention/holds/{hold['_id']}/lift", data={"csrf_token": token, "lift-note": "Twice"}
    )
    assert again.status_code == 422
    assert "already lifted by" in again.text


async def test_retention_pages_are_refused_to_others(
    caseworker: User, browser_client: httpx.AsyncClient
) -> None:
    await pages_signed_in(browser_client, caseworker)

    refused = await browser_client.get("/retention")

    assert refused.status_code == 403
    assert 'href="/retention"' not in (await browser_client.get("/")).text


async def test_holds_page_explains_a_hold_it_may_not_lift(
    make_user: Any,
    records_manager: User,
    offender: dict[str, Any],
    case: dict[str, Any],
    browser_client: httpx.AsyncClient,
) -> None:
    north = await make_user("caseworker", team="north")
    await open_case(north.client, offender["id"], team="north", case_type="parole_review")
    made = await records_manager.client.post(
        "/retention/holds",
        json={"reason": "mappa", "note": "MAPPA", "target": "offender", "id": offender["id"]},
    )
    assert made.status_code == 201, made.text
    token = await pages_signed_in(browser_client, records_manager)

    refused = await browser_client.post(
        f"/retention/holds/{made.json()['id']}/lift",
        data={"csrf_token": token, "lift-note": "Ended"},
    )

    assert refused.status_code == 422
    assert "cases of this person you cannot see" in refused.text


async def test_queue_page_asks_for_the_code_in_a_sentence_under_an_error_title(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    case: dict[str, Any],
    file_document: File,
    browser_client: httpx.AsyncClient,
) -> None:
    filed = await due_documents(store, clock, admin, caseworker, case, file_document, count=1)
    proposed = await decide(records_manager.client, [filed[0]["id"]], "destroy", reason="Past it")
    assert proposed.status_code == 200, proposed.text
    token = await pages_signed_in(browser_client, second_manager)

    refused = await browser_client.post(
        f"/retention/proposals/{proposed.json()['id']}/approve",
        data={"csrf_token": token, "code": ""},
    )

    assert refused.status_code == 422
    assert "<title>Error: Records due for disposal \N{EN DASH} PPUD</title>" in refused.text
    assert "Enter the 6-digit code from your authenticator app again." in refused.text
    assert "Code enter" not in refused.text


async def test_approval_page_after_too_many_wrong_codes_says_how_long_and_that_sign_in_is_locked(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    case: dict[str, Any],
    file_document: File,
    browser_client: httpx.AsyncClient,
) -> None:
    filed = await due_documents(store, clock, admin, caseworker, case, file_document, count=1)
    proposed = await decide(records_manager.client, [filed[0]["id"]], "destroy", reason="Past it")
    token = await pages_signed_in(browser_client, second_manager)
    url = f"/retention/proposals/{proposed.json()['id']}/approve"
    wrong = wrong_codes(second_manager)
    for code in wrong:
        await browser_client.post(url, data={"csrf_token": token, "code": code})

    locked = await browser_client.post(url, data={"csrf_token": token, "code": wrong[0]})

    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "sign-in is locked too; try again in 15 minute(s)" in locked.text
