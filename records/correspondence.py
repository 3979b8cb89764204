"""A case's correspondence log: what was sent to or received from whom, on which day.

An entry may name the letter itself, a document filed in the same case. It
must be one the person logging it can see, and it is shown only to those
who can: a document limited to named people stays unnamed to the rest.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bson import ObjectId

from records import audit, contacts
from records.actors import Actor
from records.documents import DOCUMENTS
from records.errors import InvalidInput
from records.paging import Page, page
from records.policy import can_see_document, require_case_file
from records.store import Store, iso
from records.validation import Fields, spreadsheet_safe

CORRESPONDENCE = "correspondence"
DIRECTIONS = ("sent", "received")
CSV_COLUMNS = (
    "id",
    "date",
    "direction",
    "contact",
    "organisation",
    "subject",
    "document_id",
    "document_title",
    "created_by",
    "created_at",
)


async def log(store: Store, actor: Actor, case: dict[str, Any], data: Any) -> dict[str, Any]:
    """Record a letter, e-mail or call sent or received."""
    require_case_file(actor, case, write=True)
    fields = Fields(data)
    fields.unknown({"direction", "date", "contact_id", "subject", "document_id"})
    direction = fields.text("direction", max_length=10)
    if direction is not None and direction not in DIRECTIONS:
        fields.fail("direction", "must be sent or received")
    on = fields.date("date", required=True, latest=store.now().date())
    contact_id = fields.text("contact_id", max_length=64)
    subject = fields.text("subject", max_length=300)
    document_id = fields.text("document_id", required=False, max_length=64)
    fields.check()
    assert direction and on and contact_id and subject
    contact = await contacts.existing(store, "contact_id", contact_id)
    document = await _visible_document(store, actor, case, document_id) if document_id else None

    entry = {
        "case_id": case["_id"],
        "direction": direction,
        "date": on,
        "contact_id": contact["_id"],
        "subject": subject,
        "document_id": document["_id"] if document else None,
        "created_at": store.now(),
        "created_by": actor.username,
    }
    result = await store.db[CORRESPONDENCE].insert_one(entry)
    await audit.record(
        store,
        actor,
        "correspondence.log",
        f"correspondence:{result.inserted_id}",
        case_id=case["_id"],
        document_id=entry["document_id"],
        detail={"direction": direction, "date": on, "contact": str(contact["_id"])},
    )
    return entry


async def _visible_document(
    store: Store, actor: Actor, case: dict[str, Any], document_id: str
) -> dict[str, Any]:
    """A document of this case the actor sees; one of another case, or hidden, reads as absent."""
    oid = ObjectId(document_id) if ObjectId.is_valid(document_id) else None
    found = await store.db[DOCUMENTS].find_one({"_id": oid, "case_id": case["_id"]})
    if found is None or not can_see_document(actor, found):
        raise InvalidInput.field("document_id", "is not the id of a document in this case")
    return found


async def list_entries(
    store: Store,
    actor: Actor,
    case: dict[str, Any],
    *,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """The case's correspondence, most recently logged first."""
    require_case_file(actor, case)
    return await page(
        store.db[CORRESPONDENCE],
        {"case_id": case["_id"]},
        limit=limit,
        cursor=cursor,
        newest_first=True,
    )


async def entry_views(
    store: Store, actor: Actor, entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The entries with their contacts, and their documents where the actor sees them."""
    directory = await contacts.by_ids(store, [e["contact_id"] for e in entries])
    linked = [e["document_id"] for e in entries if e.get("document_id")]
    seen = {"title": 1, "restricted_to": 1, "shared_with_external": 1}
    found = store.db[DOCUMENTS].find({"_id": {"$in": linked}}, seen)
    shown = {d["_id"]: d async for d in found if can_see_document(actor, d)}
    return [
        entry_view(e, directory.get(e["contact_id"]), shown.get(e.get("document_id")))
        for e in entries
    ]


def entry_view(
    entry: dict[str, Any], contact: dict[str, Any] | None, document: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": str(entry["_id"]),
        "case_id": str(entry["case_id"]),
        "direction": entry["direction"],
        "date": entry["date"],
        "contact": contacts.contact_summary(contact) if contact else None,
        "subject": entry["subject"],
        "document": {"id": str(document["_id"]), "title": document["title"]} if document else None,
        "created_at": iso(entry["created_at"]),
        "created_by": entry["created_by"],
    }


def csv_text(views: list[dict[str, Any]]) -> str:
    """The log as CSV; cells a spreadsheet would run as formulas are quoted with a '."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for view in views:
        contact = view["contact"] or {}
        document = view["document"] or {}
        row = {
            **view,
            "contact": contact.get("name"),
            "organisation": contact.get("organisation"),
            "document_id": document.get("id"),
            "document_title": document.get("title"),
        }
        writer.writerow([spreadsheet_safe(row.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()
