"""The append-only audit trail: every write and every download leaves an event.

Nothing in the application updates or deletes an event; the collection is
only ever inserted into.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from records.actors import Actor
from records.errors import Forbidden
from records.paging import Page, page
from records.policy import Action, allows, case_filter
from records.store import Store, iso

logger = logging.getLogger(__name__)

COLLECTION = "audit"


async def record(
    store: Store,
    actor: Actor,
    action: str,
    target: str,
    *,
    detail: dict[str, Any] | None = None,
    case_id: ObjectId | None = None,
    document_id: ObjectId | None = None,
    session: AsyncClientSession | None = None,
) -> None:
    """Append one event; inside a transaction when the write it records is one."""
    event = {
        "at": store.now(),
        "user": actor.username,
        "user_id": actor.id,
        "action": action,
        "target": target,
        "detail": detail or {},
        "ip": actor.ip,
        "case_id": case_id,
        "document_id": document_id,
    }
    await store.db[COLLECTION].insert_one(event, session=session)


async def list_events(
    store: Store,
    actor: Actor,
    *,
    case_id: str | None = None,
    document_id: str | None = None,
    user: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """Newest first; managers see their team's, users below manager only their own."""
    query: dict[str, Any] = {}
    if not allows(actor, Action.AUDIT_READ_ALL):
        if user and user != actor.username:
            raise Forbidden(f"{actor.level} users may see only their own audit events")
        query["user"] = actor.username
    else:
        if user:
            query["user"] = user
        if actor.level != "admin":
            query = {"$and": [query, await _team_scope(store, actor)]}
    if case_id:
        query["case_id"] = _maybe_id(case_id)
    if document_id:
        query["document_id"] = _maybe_id(document_id)
    if since or until:
        query["at"] = {
            **({"$gte": since} if since else {}),
            **({"$lt": until} if until else {}),
        }

    return await page(store.db[COLLECTION], query, limit=limit, cursor=cursor, newest_first=True)


async def _team_scope(store: Store, actor: Actor) -> dict[str, Any]:
    """A manager's view: events on their team's cases, and their members' other events.

    Without it a manager could read, through the audit, the titles and
    activity of another team's cases that answer them 404 everywhere else.
    """
    # Imported here: cases and users write their own events through this module.
    from records.cases import CASES
    from records.users import USERS

    case_ids = await store.db[CASES].distinct("_id", case_filter(actor))
    members = await store.db[USERS].distinct("_id", {"team": actor.team})
    return {
        "$or": [
            {"case_id": {"$in": case_ids}},
            {"case_id": None, "user_id": {"$in": [str(m) for m in members]}},
        ]
    }


def event_view(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(event["_id"]),
        "at": iso(event["at"]),
        "user": event["user"],
        "action": event["action"],
        "target": event["target"],
        "detail": event.get("detail") or {},
        "ip": event.get("ip"),
    }


def _maybe_id(value: str) -> ObjectId | str:
    # An id that cannot be an ObjectId matches nothing, which is the right answer.
    return ObjectId(value) if ObjectId.is_valid(value) else value
