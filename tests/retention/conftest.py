"""Records managers, retention rules and a way to move a case's documents into the queue."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pikepdf
import pypdfium2
import pytest
from bson import ObjectId

from records.actors import SYSTEM
from records.store import Store
from retention import evaluate, roles
from tests.conftest import Clock, File, MakeUser, User


@pytest.fixture
def make_records_manager(make_user: MakeUser, store: Store) -> Any:
    async def make(team: str = "ppcs", level: str = "manager") -> User:
        made = await make_user(level, team=team)
        await roles.set_records_manager(store, SYSTEM, made.username, granted=True)
        return made

    return make


@pytest.fixture
async def records_manager(make_records_manager: Any) -> User:
    return await make_records_manager()


@pytest.fixture
async def second_manager(make_records_manager: Any) -> User:
    return await make_records_manager()


@pytest.fixture
async def admin(make_user: MakeUser) -> User:
    return await make_user("admin", team="hq")


async def add_rule(admin: User, **fields: Any) -> dict[str, Any]:
    body = {"title": "A test rule", "amount": 6, "unit": "years", "action": "destroy", **fields}
    made = await admin.client.post("/retention/rules", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


def wrong_codes(user: User, count: int = 5) -> list[str]:
    """Codes sure to be wrong now: far from each code the authenticator accepts."""
    right = int(user.totp())
    return [f"{(right + n) % 1_000_000:06d}" for n in range(500_000, 500_000 + count)]


async def evaluated(store: Store) -> int:
    return (await evaluate.evaluate(store)).changed


async def queue_ids(client: httpx.AsyncClient, **params: str) -> list[str]:
    got = await client.get("/retention/queue", params=params)
    assert got.status_code == 200, got.text
    return [item["document_id"] for item in got.json()["items"]]


async def decide(
    client: httpx.AsyncClient, ids: list[str], decision: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        "/retention/decisions", json={"document_ids": ids, "decision": decision, **extra}
    )


async def stop_case(client: httpx.AsyncClient, case_id: str) -> None:
    """Close a recall case: stopping it is a terminal state a caseworker may reach."""
    moved = await client.post(
        f"/cases/{case_id}/transitions", json={"transition": "stop", "reason": "Licence ended"}
    )
    assert moved.status_code == 200, moved.text


async def retention_records(store: Store, case_id: str, document_id: str) -> dict[str, str]:
    """One of each retention record, for tests that walk every route (ids by path parameter)."""
    case = await store.db["cases"].find_one({"_id": ObjectId(case_id)})
    assert case is not None
    rule = await store.db["retention_rules"].find_one({"code": "deceased"})
    assert rule is not None, "the default schedule is seeded"
    at = store.now()
    hold = await store.db["retention_holds"].insert_one(
        {
            "target": "case",
            "target_case": case["_id"],
            "case_id": case["_id"],
            "offender_id": case["offender_id"],
            "reason": "other",
            "note": "A hold to read",
            "applied_by": "someone",
            "applied_at": at,
            "lifted": None,
        }
    )
    proposal = await store.db["retention_proposals"].insert_one(
        {
            "action": "destroy",
            "document_ids": [ObjectId(document_id)],
            "reason": None,
            "proposed_by": "someone",
            "proposed_by_id": "someone",
            "proposed_at": at,
            "state": "proposed",
            "run_id": None,
        }
    )
    run = await store.db["retention_runs"].insert_one(
        {
            "kind": "destruction",
            "proposal_id": proposal.inserted_id,
            "documents": [ObjectId(document_id)],
            "proposed_by": "someone",
            "approved_by": "someone else",
            "approved_at": at,
            "state": "done",
            "results": [],
        }
    )
    return {
        "rule_id": str(rule["_id"]),
        "hold_id": str(hold.inserted_id),
        "proposal_id": str(proposal.inserted_id),
        "run_id": str(run.inserted_id),
    }


async def due_documents(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
    *,
    count: int = 2,
    **rule: Any,
) -> list[dict[str, Any]]:
    await add_rule(
        admin, code="recall-closed", case_types=["recall"], trigger="case_closed", **rule
    )
    filed = [await file_document(title=f"Report {n}") for n in range(count)]
    await stop_case(caseworker.client, case["id"])
    clock.advance(days=7 * 366)
    await evaluated(store)
    return filed


async def approved_run(
    first: User, second: User, ids: list[str], action: str = "destroy"
) -> dict[str, Any]:
    proposed = await decide(first.client, ids, action, reason="Past its time")
    assert proposed.status_code == 200, proposed.text
    approval = await second.client.post(
        f"/retention/proposals/{proposed.json()['id']}/approval", json={"code": second.totp()}
    )
    assert approval.status_code == 202, approval.text
    return dict(approval.json())


async def approved_run_of(approver: User, proposal_id: str) -> str:
    approval = await approver.client.post(
        f"/retention/proposals/{proposal_id}/approval", json={"code": approver.totp()}
    )
    assert approval.status_code == 202, approval.text
    return str(approval.json()["id"])


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
