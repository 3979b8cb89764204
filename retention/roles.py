"""Granting and withdrawing the records manager's right (records.policy)."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, users
from records.actors import Actor
from records.errors import InvalidInput, NotFound
from records.store import Store


async def set_records_manager(store: Store, by: Actor, username: str, *, granted: bool) -> bool:
    """Give or take the right; external users never hold it. Whether it changed; audited if so."""
    user = await users.find_by_username(store, username)
    if user is None:
        raise NotFound(f"there is no user named {username!r}")
    if granted and user.get("external"):
        raise InvalidInput.field("username", "external users cannot be records managers")

    async def apply(session: AsyncClientSession) -> bool:
        # Only a user not already as asked is written, so a repeated command audits
        # nothing; a user never given the right may have no such field at all.
        holds = {"$ne": True} if granted else True
        changed = await store.db[users.USERS].update_one(
            {"_id": user["_id"], "records_manager": holds},
            {"$set": {"records_manager": granted}},
            session=session,
        )
        if changed.modified_count == 0:
            return False
        await audit.record(
            store,
            by,
            "retention.records_manager.grant" if granted else "retention.records_manager.revoke",
            f"user:{user['_id']}",
            detail={"username": user["username"]},
            session=session,
        )
        return True

    return await store.transaction(apply)
