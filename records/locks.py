"""Check-out locks: one holder at a time, with an expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument

from records import audit
from records.actors import Actor
from records.documents import DOCUMENTS, load
from records.errors import DocumentLocked, Forbidden, InvalidInput
from records.policy import Action, allows
from records.store import Store, as_utc

DEFAULT_MINUTES = 60
MAX_MINUTES = 7 * 24 * 60


def check_minutes(value: Any) -> int:
    if value is None:
        return DEFAULT_MINUTES
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.field("minutes", "must be a whole number of minutes")
    if not 1 <= value <= MAX_MINUTES:
        raise InvalidInput.field("minutes", f"must be between 1 and {MAX_MINUTES}")
    return value


async def check_out(
    store: Store, actor: Actor, document_id: str, *, minutes: int = DEFAULT_MINUTES
) -> dict[str, Any]:
    """Take (or renew) the lock; DocumentLocked names the other holder."""
    document, case = await load(store, actor, document_id, Action.DOCUMENT_WRITE)
    now = store.now()
    lock = {
        "holder": actor.username,
        "holder_id": actor.id,
        "acquired_at": now,
        "expires_at": now + timedelta(minutes=minutes),
    }

    # One conditional update: of two racing check-outs the database lets
    # exactly one match the free-or-mine filter.
    updated = await store.db[DOCUMENTS].find_one_and_update(
        {
            "_id": document["_id"],
            "$or": [
                {"lock": None},
                {"lock.expires_at": {"$lte": now}},
                {"lock.holder_id": actor.id},
            ],
        },
        {"$set": {"lock": lock}},
        return_document=ReturnDocument.AFTER,
    )
    if updated is None:
        current = await store.db[DOCUMENTS].find_one({"_id": document["_id"]})
        raise DocumentLocked((current or {}).get("lock", {}).get("holder", "another user"))

    await audit.record(
        store,
        actor,
        "lock.acquire",
        f"document:{document['_id']}",
        case_id=case["_id"],
        document_id=document["_id"],
        detail={"minutes": minutes},
    )
    return updated


async def release(
    store: Store, actor: Actor, document_id: str, *, force: bool = False
) -> dict[str, Any]:
    """The holder releases; a manager or admin may force another's lock open."""
    document, case = await load(store, actor, document_id, Action.DOCUMENT_WRITE)
    lock = document.get("lock")
    if lock is None or as_utc(lock["expires_at"]) <= store.now():
        return document
    if lock["holder_id"] != actor.id and not force:
        raise DocumentLocked(lock["holder"])
    if lock["holder_id"] != actor.id and not allows(actor, Action.LOCK_FORCE_RELEASE, case):
        raise Forbidden("only a manager or administrator may force a lock open")

    updated = await store.db[DOCUMENTS].find_one_and_update(
        {"_id": document["_id"], "lock.holder_id": lock["holder_id"]},
        {"$set": {"lock": None}},
        return_document=ReturnDocument.AFTER,
    )
    forced = lock["holder_id"] != actor.id
    await audit.record(
        store,
        actor,
        "lock.force_release" if forced else "lock.release",
        f"document:{document['_id']}",
        case_id=case["_id"],
        document_id=document["_id"],
        detail={"holder": lock["holder"]},
    )
    return updated or document
