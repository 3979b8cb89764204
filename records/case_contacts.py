"""The contacts a case names, each in a role: its offender manager, solicitor, establishment.

A link may be removed (the person moved on); the removal is audited, and
the contact stays in the directory.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from records import audit, contacts
from records.actors import Actor
from records.errors import Duplicate, NotFound
from records.policy import require_case_file
from records.store import Store, iso, parse_id
from records.validation import Fields

CASE_CONTACTS = "case_contacts"
MAX_LINKS = 200

ROLES = {
    "offender_manager": "Offender manager",
    "solicitor": "Solicitor",
    "establishment": "Establishment",
    "responsible_clinician": "Responsible clinician",
    "police": "Police",
    "victim_liaison": "Victim liaison officer",
    "other": "Other",
}


async def link(store: Store, actor: Actor, case: dict[str, Any], data: Any) -> dict[str, Any]:
    """Name a directory contact as one of the case's, in a role."""
    require_case_file(actor, case, write=True)
    fields = Fields(data)
    fields.unknown({"contact_id", "role"})
    contact_id = fields.text("contact_id", max_length=64)
    role = fields.text("role", max_length=64)
    if role is not None and role not in ROLES:
        fields.fail("role", f"must be one of {', '.join(ROLES)}")
    fields.check()
    assert contact_id is not None and role is not None
    contact = await contacts.existing(store, "contact_id", contact_id)

    made = {
        "case_id": case["_id"],
        "contact_id": contact["_id"],
        "role": role,
        "created_at": store.now(),
        "created_by": actor.username,
    }
    try:
        result = await store.db[CASE_CONTACTS].insert_one(made)
    except DuplicateKeyError as exc:
        raise Duplicate(f"{contact['name']} is this case's {ROLES[role].lower()} already") from exc
    await audit.record(
        store,
        actor,
        "case_contact.link",
        f"case_contact:{result.inserted_id}",
        case_id=case["_id"],
        detail={"contact": str(contact["_id"]), "role": role},
    )
    return made


async def unlink(store: Store, actor: Actor, case: dict[str, Any], link_id: str) -> None:
    require_case_file(actor, case, write=True)
    oid = parse_id(link_id, kind="case contact")
    removed = await store.db[CASE_CONTACTS].find_one_and_delete(
        {"_id": oid, "case_id": case["_id"]}
    )
    if removed is None:
        raise NotFound.absent("case contact", link_id)
    await audit.record(
        store,
        actor,
        "case_contact.unlink",
        f"case_contact:{oid}",
        case_id=case["_id"],
        detail={"contact": str(removed["contact_id"]), "role": removed["role"]},
    )


async def list_links(store: Store, actor: Actor, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's contacts in the order they were named, each with its directory entry."""
    require_case_file(actor, case)
    found = store.db[CASE_CONTACTS].find({"case_id": case["_id"]}).sort("_id", 1)
    links = await found.limit(MAX_LINKS).to_list()
    directory = await contacts.by_ids(store, [link["contact_id"] for link in links])
    return [link_view(link, directory.get(link["contact_id"])) for link in links]


def link_view(link: dict[str, Any], contact: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": str(link["_id"]),
        "case_id": str(link["case_id"]),
        "role": link["role"],
        "contact": contacts.contact_view(contact) if contact else None,
        "created_at": iso(link["created_at"]),
        "created_by": link["created_by"],
    }
