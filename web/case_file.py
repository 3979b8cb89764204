"""What the case page shows of the case's notes, contacts and correspondence, and its forms.

External users are shown none of it (records.policy.require_case_file), so
their case page has no such sections at all.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from records import case_contacts, contacts, correspondence, documents, notes
from records.actors import Actor
from records.policy import Action, allows
from server.state import services

SHOWN = 100
# What was just added, named by the link the form sent the browser to; the words are ours.
FILED = {
    "note": "The note was added.",
    "correction": "The correction was added.",
    "contact": "The contact was added to the case.",
    "unlinked": "The contact was removed from the case.",
    "letter": "The correspondence was logged.",
}
DIRECTIONS = [("sent", "Sent"), ("received", "Received")]


async def sections(request: Request, actor: Actor, case: dict[str, Any]) -> dict[str, Any]:
    """The case page's context for its working file; empty for those who may not see it."""
    if not allows(actor, Action.CASE_FILE_READ, case):
        return {"case_file": None}
    store = services(request).store
    listed_notes = await notes.list_notes(store, actor, case, limit=SHOWN)
    letters = await correspondence.list_entries(store, actor, case, limit=SHOWN)
    may_write = allows(actor, Action.CASE_WRITE, case)

    return {
        "case_file": {
            "notes": await notes.note_views(store, listed_notes.items),
            "more_notes": listed_notes.next_cursor is not None,
            "links": await case_contacts.list_links(store, actor, case),
            "letters": await correspondence.entry_views(store, actor, letters.items),
            "more_letters": letters.next_cursor is not None,
            "role_labels": case_contacts.ROLES,
            "may_write": may_write,
            "filed": FILED.get(request.query_params.get("filed", "")),
            **(await _choices(request, actor, case) if may_write else {}),
        }
    }


async def _choices(request: Request, actor: Actor, case: dict[str, Any]) -> dict[str, Any]:
    """The options of the add forms: directory contacts, roles, directions, documents."""
    store = services(request).store
    directory = await contacts.directory(store, actor)
    filed = await documents.list_case_documents(store, actor, case, limit=SHOWN)
    return {
        "contact_options": [(str(c["_id"]), contact_label(c)) for c in directory],
        "role_options": list(case_contacts.ROLES.items()),
        "direction_options": DIRECTIONS,
        "document_options": [(str(d["_id"]), d["title"]) for d in filed.items],
    }


def contact_label(contact: dict[str, Any]) -> str:
    organisation = contact.get("organisation")
    return f"{contact['name']} ({organisation})" if organisation else str(contact["name"])
