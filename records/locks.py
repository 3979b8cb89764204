"""Check-out locks: one holder at a time, with an expiry."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, credentials
from records.actors import Actor
from records.cases import CASES
from records.documents import DOCUMENTS, load
from records.errors import Conflict, DocumentLocked, Forbidden, InvalidInput, NotFound
from records.policy import Action, allows, can_see_document
from records.store import Store, as_utc
from records.validation import Fields

DEFAULT_MINUTES = 60
MAX_MINUTES = 7 * 24 * 60
# A free lock can be re-taken by a rival between our tries; a few suffice.
TAKE_ATTEMPTS = 3


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

    # The lock and its audit event commit together or not at all.
    async def take(session: AsyncClientSession) -> dict[str, Any]:
        updated = await _take(store, document, lock, now, session)
        await audit.record(
            store,
            actor,
            "lock.acquire",
            f"document:{document['_id']}",
            case_id=case["_id"],
            document_id=document["_id"],
            session=session,
            detail={"minutes": minutes},
        )
        return updated

    return await store.transaction(take)


async def _take(
    store: Store,
    document: dict[str, Any],
    lock: dict[str, Any],
    now: datetime,
    session: AsyncClientSession,
) -> dict[str, Any]:
    """Set the lock if it is free, expired or the actor's own; else name the holder."""
    for _ in range(TAKE_ATTEMPTS):
        # One conditional update: of two racing check-outs the database lets
        # exactly one match the free-or-mine filter.
        updated = await store.db[DOCUMENTS].find_one_and_update(
            {
                "_id": document["_id"],
                "$or": [
                    {"lock": None},
                    {"lock.expires_at": {"$lte": now}},
                    {"lock.holder_id": lock["holder_id"]},
                ],
            },
            {"$set": {"lock": lock}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if updated is not None:
            return updated

        current = await store.db[DOCUMENTS].find_one(
            {"_id": document["_id"]}, {"lock": 1}, session=session
        )
        if current is None:
            raise NotFound.absent("document", document["_id"])
        held = current.get("lock")
        if held and as_utc(held["expires_at"]) > now:
            raise DocumentLocked(held["holder"])
        # Released between the refused update and this read: try to take it again.
    raise Conflict("the lock changed hands repeatedly while it was being taken; try again")


async def release(
    store: Store,
    actor: Actor,
    document_id: str,
    *,
    force: bool = False,
    reason: Any = None,
    code: Any = None,
) -> dict[str, Any]:
    """The holder releases; a manager or admin may force another's lock open.

    Forcing needs a reason, kept in the audit event, and the second factor
    entered again (credentials.confirm_second_factor).
    """
    document, case = await load(store, actor, document_id, Action.DOCUMENT_WRITE)
    lock = document.get("lock")
    if lock is None or as_utc(lock["expires_at"]) <= store.now():
        return document
    if lock["holder_id"] != actor.id and not force:
        raise DocumentLocked(lock["holder"])
    if lock["holder_id"] != actor.id and not allows(actor, Action.LOCK_FORCE_RELEASE, case):
        raise Forbidden("only a manager or administrator may force a lock open")

    forced = lock["holder_id"] != actor.id
    detail: dict[str, Any] = {"holder": lock["holder"]}
    if forced:
        fields = Fields({"reason": reason})
        detail["reason"] = fields.text("reason", max_length=500)
        fields.check()
        detail["factor"] = await credentials.confirm_second_factor(
            store, actor, code, purpose="forcing a lock"
        )

    async def free(session: AsyncClientSession) -> dict[str, Any]:
        updated = await store.db[DOCUMENTS].find_one_and_update(
            {"_id": document["_id"], "lock.holder_id": lock["holder_id"]},
            {"$set": {"lock": None}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if updated is None:
            # A racing release freed it first; only that one happened, and is audited.
            return document
        await audit.record(
            store,
            actor,
            "lock.force_release" if forced else "lock.release",
            f"document:{document['_id']}",
            case_id=case["_id"],
            document_id=document["_id"],
            session=session,
            detail=detail,
        )
        return updated

    return await store.transaction(free)


async def held_by(store: Store, actor: Actor, *, limit: int = 100) -> list[dict[str, Any]]:
    """The documents the actor has checked out now, in the cases they may still see."""
    found = store.db[DOCUMENTS].find(
        {"lock.holder_id": actor.id, "lock.expires_at": {"$gt": store.now()}}
    )
    held = await found.sort("lock.expires_at", 1).limit(limit).to_list()
    case_ids = list({d["case_id"] for d in held})
    cases = {c["_id"]: c async for c in store.db[CASES].find({"_id": {"$in": case_ids}})}
    # A document stays held after its case moves to another team; it is not shown then.
    return [
        d
        for d in held
        if d["case_id"] in cases
        and allows(actor, Action.DOCUMENT_READ, cases[d["case_id"]])
        and can_see_document(actor, d)
    ]
