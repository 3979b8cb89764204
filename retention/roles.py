"""Granting and withdrawing the records manager's right (records.policy)."""

from __future__ import annotations

from records import audit, users
from records.actors import Actor
from records.errors import InvalidInput, NotFound
from records.store import Store


async def set_records_manager(store: Store, by: Actor, username: str, *, granted: bool) -> None:
    """Give or take the right; external users never hold it. Audited."""
    user = await users.find_by_username(store, username)
    if user is None:
        raise NotFound(f"there is no user named {username!r}")
    if granted and user.get("external"):
        raise InvalidInput.field("username", "external users cannot be records managers")
    await store.db[users.USERS].update_one(
        {"_id": user["_id"]}, {"$set": {"records_manager": granted}}
    )
    await audit.record(
        store,
        by,
        "retention.records_manager.grant" if granted else "retention.records_manager.revoke",
        f"user:{user['_id']}",
        detail={"username": user["username"]},
    )
