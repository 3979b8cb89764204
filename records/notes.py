"""Case notes ("minutes"): who wrote what about a case, and when; never changed once written.

A mistake is put right by a new note that names the note it corrects. The
old note stays exactly as it was written and shows which note corrected it,
found from the correction itself, so no note is ever updated or deleted. A
note is corrected once: a second correction corrects the first, which keeps
each note's history one line (the unique index on "corrects" holds this
even when two people correct the same note at the same moment).
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from records import audit
from records.actors import Actor
from records.errors import Conflict, InvalidInput
from records.paging import Page, page
from records.policy import require_case_file
from records.store import Store, iso
from records.validation import Fields

NOTES = "notes"
MAX_TEXT = 10_000


async def create_note(
    store: Store, actor: Actor, case: dict[str, Any], data: Any
) -> dict[str, Any]:
    """Add a note to the case, or (with corrects) a correction of one of its notes."""
    require_case_file(actor, case, write=True)
    fields = Fields(data)
    fields.unknown({"text", "corrects"})
    text = fields.text("text", max_length=MAX_TEXT, multiline=True)
    corrects = fields.text("corrects", required=False, max_length=64)
    fields.check()
    assert text is not None
    corrected = await _correctable(store, case, corrects) if corrects else None

    note = {
        "case_id": case["_id"],
        "text": text,
        "corrects": corrected,
        "created_at": store.now(),
        "created_by": actor.username,
    }
    try:
        result = await store.db[NOTES].insert_one(note)
    except DuplicateKeyError as exc:
        raise Conflict(f"note {corrects} has just been corrected by someone else") from exc
    await audit.record(
        store,
        actor,
        "note.correct" if corrected else "note.create",
        f"note:{result.inserted_id}",
        case_id=case["_id"],
        detail={"corrects": str(corrected)} if corrected else {"length": len(text)},
    )
    return note


async def _correctable(store: Store, case: dict[str, Any], note_id: str) -> ObjectId:
    """The id of a note of this case that has not been corrected yet."""
    oid = ObjectId(note_id) if ObjectId.is_valid(note_id) else None
    found = await store.db[NOTES].find_one({"_id": oid, "case_id": case["_id"]}, {"_id": 1})
    if oid is None or found is None:
        raise InvalidInput.field("corrects", "is not the id of a note of this case")
    already = await store.db[NOTES].find_one({"corrects": oid}, {"_id": 1})
    if already is not None:
        raise Conflict(
            f"note {note_id} was corrected already, by note {already['_id']}; "
            "correct that note instead"
        )
    return oid


async def list_notes(
    store: Store,
    actor: Actor,
    case: dict[str, Any],
    *,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """The case's notes, newest first."""
    require_case_file(actor, case)
    return await page(
        store.db[NOTES], {"case_id": case["_id"]}, limit=limit, cursor=cursor, newest_first=True
    )


async def note_views(store: Store, notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notes as clients see them, each saying which note corrected it, if one has."""
    ids = [n["_id"] for n in notes]
    found = store.db[NOTES].find({"corrects": {"$in": ids}}, {"_id": 1, "corrects": 1})
    corrected_by = {c["corrects"]: c["_id"] async for c in found}
    return [note_view(n, corrected_by=corrected_by.get(n["_id"])) for n in notes]


def note_view(note: dict[str, Any], *, corrected_by: ObjectId | None = None) -> dict[str, Any]:
    return {
        "id": str(note["_id"]),
        "case_id": str(note["case_id"]),
        "text": note["text"],
        "corrects": str(note["corrects"]) if note.get("corrects") else None,
        "corrected_by": str(corrected_by) if corrected_by else None,
        "created_at": iso(note["created_at"]),
        "created_by": note["created_by"],
    }
