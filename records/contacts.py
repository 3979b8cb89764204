"""The contacts directory: the people and organisations casework writes to and hears from.

Offender managers, solicitors, prisons, hospitals, police forces: one
directory for every team, read by internal users and kept by caseworkers
and above. A case names the contacts that matter to it (records.case_contacts).
"""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument

from records import audit
from records.actors import Actor
from records.errors import InvalidInput, NotFound
from records.paging import Page, page
from records.policy import Action, require
from records.store import Store, iso, parse_id
from records.validation import Fields

CONTACTS = "contacts"

KINDS = {
    "offender_manager": "Offender manager",
    "solicitor": "Solicitor",
    "prison": "Prison",
    "hospital": "Hospital",
    "police_force": "Police force",
    "other": "Other",
}
OPTIONAL = ("organisation", "email", "phone", "address")
FIELDS = {"kind", "name", *OPTIONAL}

# Deliberately loose (RFC 5321 allows far more than any check here could
# test): one @, something either side, a dot in the domain, no spaces.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*(\s*(ext\.?|x)\s*[0-9]+)?$", re.IGNORECASE)
MAX_QUERY = 200
MAX_WORD = 64


def _kind(fields: Fields) -> str | None:
    value = fields.text("kind", max_length=64)
    if value is None:
        return None
    code = re.sub(r"[\s-]+", "_", value.lower())
    by_label = {label.lower(): code for code, label in KINDS.items()}
    code = by_label.get(value.lower(), code)
    if code not in KINDS:
        fields.fail("kind", f"must be one of {', '.join(KINDS)}")
    return code


def _read(data: Any, *, partial: bool) -> dict[str, Any]:
    fields = Fields(data)
    fields.unknown(FIELDS)
    record: dict[str, Any] = {}
    if not partial or "kind" in fields.data:
        record["kind"] = _kind(fields)
    if not partial or "name" in fields.data:
        record["name"] = fields.text("name", max_length=200)
    for name in ("organisation", "email", "phone", "address"):
        if not partial or name in fields.data:
            record[name] = _optional(fields, name)
    fields.check()
    return record


def _optional(fields: Fields, name: str) -> str | None:
    if name == "address":
        return fields.text(name, required=False, max_length=500, multiline=True)
    value = fields.text(name, required=False, max_length=254 if name == "email" else 200)
    if value is None:
        return None
    if name == "email" and not EMAIL.match(value):
        fields.fail(name, "must be an e-mail address, such as name@example.gov.uk")
    if name == "phone" and (len(value) > 40 or not PHONE.match(value)):
        fields.fail(name, "must be a telephone number: digits, spaces, + ( ) - and an extension")
    return value


async def create_contact(store: Store, actor: Actor, data: Any) -> dict[str, Any]:
    require(actor, Action.CONTACT_WRITE)
    record = _read(data, partial=False)

    record |= {"created_at": store.now(), "created_by": actor.username, "revision": 1}
    result = await store.db[CONTACTS].insert_one(record)
    target = f"contact:{result.inserted_id}"
    await audit.record(store, actor, "contact.create", target, detail={"kind": record["kind"]})
    return record


async def get_contact(store: Store, actor: Actor, contact_id: str) -> dict[str, Any]:
    require(actor, Action.CONTACT_READ, what="contact")
    found = await store.db[CONTACTS].find_one({"_id": parse_id(contact_id, kind="contact")})
    if found is None:
        raise NotFound.absent("contact", contact_id)
    return found


async def update_contact(store: Store, actor: Actor, contact_id: str, data: Any) -> dict[str, Any]:
    """Change the fields sent; an optional field sent as null or empty is removed."""
    require(actor, Action.CONTACT_WRITE)
    current = await get_contact(store, actor, contact_id)
    # Kind and name are required whenever sent, so neither can be emptied.
    asked = _read(data, partial=True)
    changes = {name: value for name, value in asked.items() if current.get(name) != value}
    if not changes:
        return current  # nothing would change: no new revision, no event

    updated = await store.db[CONTACTS].find_one_and_update(
        {"_id": current["_id"]},
        {"$set": {**changes, "updated_at": store.now()}, "$inc": {"revision": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if updated is None:
        raise NotFound.absent("contact", contact_id)
    await audit.record(
        store,
        actor,
        "contact.update",
        f"contact:{current['_id']}",
        detail={"fields": sorted(changes)},
    )
    return updated


async def search_contacts(
    store: Store,
    actor: Actor,
    q: str | None = None,
    *,
    kind: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """Contacts whose name or organisation has a word starting with each word of q."""
    require(actor, Action.CONTACT_READ, what="contact")
    clauses: list[dict[str, Any]] = []
    if q and q.strip():
        words = q.strip().split()
        if len(q) > MAX_QUERY or any(len(word) > MAX_WORD for word in words):
            raise InvalidInput.field(
                "q", f"must be at most {MAX_QUERY} characters, words at most {MAX_WORD}"
            )
        clauses.extend(_word_clause(w) for w in words[:5])
    if kind:
        if kind not in KINDS:
            raise InvalidInput.field("kind", f"must be one of {', '.join(KINDS)}")
        clauses.append({"kind": kind})
    query: dict[str, Any] = {"$and": clauses} if clauses else {}
    return await page(store.db[CONTACTS], query, limit=limit, cursor=cursor)


def _word_clause(word: str) -> dict[str, Any]:
    starts = {"$regex": r"(^|[\s(/-])" + re.escape(word), "$options": "i"}
    return {"$or": [{"name": starts}, {"organisation": starts}]}


async def directory(store: Store, actor: Actor, *, limit: int = 500) -> list[dict[str, Any]]:
    """Contacts by name, for a page's choice of contact."""
    require(actor, Action.CONTACT_READ, what="contact")
    return await store.db[CONTACTS].find({}).sort("name", 1).limit(limit).to_list()


async def by_ids(store: Store, ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    """The contacts named, by id (for lists that show a contact beside each entry)."""
    found = store.db[CONTACTS].find({"_id": {"$in": ids}})
    return {c["_id"]: c async for c in found}


async def existing(store: Store, field: str, contact_id: str) -> dict[str, Any]:
    """The contact a case record names in field, or InvalidInput naming that field."""
    oid = ObjectId(contact_id) if ObjectId.is_valid(contact_id) else None
    found = await store.db[CONTACTS].find_one({"_id": oid}) if oid else None
    if found is None:
        raise InvalidInput.field(field, "is not the id of a contact in the directory")
    return found


def contact_summary(contact: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(contact["_id"]),
        "kind": contact["kind"],
        "name": contact["name"],
        "organisation": contact.get("organisation"),
    }


def contact_view(contact: dict[str, Any]) -> dict[str, Any]:
    return {
        **contact_summary(contact),
        **{name: contact.get(name) for name in ("email", "phone", "address")},
        "revision": contact.get("revision", 1),
        "created_at": iso(contact["created_at"]),
        "created_by": contact["created_by"],
    }
