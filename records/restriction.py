"""Limiting an OFFICIAL-SENSITIVE document to named users or teams within its case's access.

The limit narrows who sees a document inside a case; it never widens it.
Everyone named must already see the case, and the person setting the limit
must stay inside it, so a document is never left visible to nobody.
Reading is decided by records.policy.can_see_document.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from records import access, audit, users
from records.actors import Actor
from records.documents import DOCUMENTS, INDEX_DIRTY, INDEX_GENERATION, SENSITIVE, load
from records.errors import InvalidInput, NotFound
from records.policy import Action, can_see_case, within_restriction
from records.store import Store
from records.validation import Fields

MAX_NAMED = 50


async def set_restriction(
    store: Store, actor: Actor, document_id: str, data: Any
) -> dict[str, Any]:
    """Limit the document to {users, teams}, or lift the limit with both lists empty."""
    document, case = await load(store, actor, document_id, Action.DOCUMENT_WRITE)
    named_users, named_teams = _read(data)

    limit: dict[str, list[str]] | None = None
    if named_users or named_teams:
        if document["protective_marking"] != SENSITIVE:
            raise InvalidInput.field(
                "protective_marking",
                f"only {SENSITIVE} documents can be limited to named people; mark it so first",
            )
        limit = {"users": named_users, "teams": named_teams}
        await _check_named(store, case, limit)
        if not within_restriction(actor, limit):
            raise InvalidInput.field(
                "users", "name yourself or your team: you would no longer see the document"
            )

    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        updated = await store.db[DOCUMENTS].find_one_and_update(
            {"_id": document["_id"]},
            {
                "$set": {"restricted_to": limit, **INDEX_DIRTY, "updated_at": store.now()},
                "$inc": {"revision": 1, **INDEX_GENERATION},
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if updated is None:
            raise NotFound.absent("document", document_id)
        await audit.record(
            store,
            actor,
            "document.restriction",
            f"document:{document['_id']}",
            case_id=case["_id"],
            document_id=document["_id"],
            session=session,
            detail={"restricted_to": limit},
        )
        return updated

    return await store.transaction(apply)


def _read(data: Any) -> tuple[list[str], list[str]]:
    fields = Fields(data)
    fields.unknown({"users", "teams"})
    named_users = fields.text_list("users", max_items=MAX_NAMED, max_length=64)
    named_teams = fields.text_list("teams", max_items=MAX_NAMED, max_length=64)
    fields.check()
    # Usernames are stored in lower case; team names as they were created.
    return sorted({u.lower() for u in named_users}), sorted(set(named_teams))


async def _check_named(store: Store, case: dict[str, Any], limit: dict[str, list[str]]) -> None:
    """Everyone named must exist and already see the case: the limit only narrows."""
    for username in limit["users"]:
        user = await users.find_by_username(store, username)
        if user is None or user.get("disabled"):
            raise InvalidInput.field("users", f"there is no active user named {username!r}")
        named = await access.attach(store, users.actor_of(user))
        if not can_see_case(named, case):
            raise InvalidInput.field("users", f"{username} cannot see this case")

    shared_with = {s["team"] for s in await access.current_shares(store, case)}
    for team in limit["teams"]:
        if team != case.get("team") and team not in shared_with:
            raise InvalidInput.field(
                "teams", f"team {team!r} is neither the case's team nor one it is shared with"
            )
