"""Certificates of blocked and transfer runs, a record's state when looked up, and queries
and links the retention routes and pages refuse or ignore."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pikepdf
import pypdfium2
import pytest
from bson import ObjectId

from records.store import Store
from tests.conftest import Clock, File, User
from tests.retention.conftest import add_rule, decide, evaluated, stop_case
from tests.retention.test_disposal import due_documents
from tests.web.conftest import browser_client, pages_signed_in

__all__ = ["browser_client"]


def pdf_text(content: bytes) -> str:
    """Every page's text, read back from the PDF; no line ends, as a table wraps its cells."""
    with pikepdf.open(io.BytesIO(content)) as opened:
        assert len(opened.pages) >= 1
    document = pypdfium2.PdfDocument(content)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    return " ".join(text.split())


async def certificate(client: httpx.AsyncClient, run_id: str) -> tuple[list[dict[str, str]], str]:
    """The run's certificate: its CSV rows, and its PDF's text."""
    as_csv = await client.get(f"/retention/runs/{run_id}/certificate.csv")
    as_pdf = await client.get(f"/retention/runs/{run_id}/certificate.pdf")
    assert as_csv.status_code == as_pdf.status_code == 200, as_csv.text
    assert as_pdf.headers["content-type"] == "application/pdf"
    return list(csv.DictReader(io.StringIO(as_csv.text))), pdf_text(as_pdf.content)


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


async def test_certificate_of_a_run_wholly_blocked_lists_each_record_with_why(
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
    proposed = await decide(records_manager.client, ids, "destroy", reason="Past its time")
    # A hold on the person lands between approval and the run, as another process's would.
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
    assert approval.status_code == 202, approval.text

    rows, text = await certificate(second_manager.client, approval.json()["id"])

    assert {r["document_id"]: r["outcome"] for r in rows} == dict.fromkeys(ids, "blocked")
    assert {r["title"] for r in rows} == {"Report 0", "Report 1"}
    assert all(r["reason"] and r["case_title"] == case["title"] for r in rows)
    assert all(r["sha256"] == r["destroyed_at"] == "" for r in rows), "nothing was destroyed"
    assert "Certificate of destruction" in text
    assert "0 document(s) destroyed" in text and "2 document(s) blocked" in text
    assert "Blocked: not destroyed (2)" in text
    assert "Report 0" in text and "Report 1" in text and rows[0]["reason"] in text
    # The certificate names records, never their content (the corpus PDF's words).
    assert "toolkit" not in text.lower()


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
