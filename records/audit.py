"""The append-only audit trail: every write and every download leaves an event.

Nothing in the application updates an event, and only expiry (after the
retention period, itself recorded) deletes one. Events are chained by hash
(records.audit_chain), so `ppud audit verify` finds any other change.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from records import audit_chain
from records.actors import SYSTEM, Actor
from records.audit_chain import GENESIS, digest
from records.errors import AuditRace, Forbidden
from records.paging import MAX_LIMIT, Page, page
from records.policy import Action, allows, case_filter, within_restriction
from records.store import Store, as_utc, iso
from records.validation import spreadsheet_safe

logger = logging.getLogger(__name__)

COLLECTION = "audit"
RACE_ATTEMPTS = 50
# Audit events are kept at least six months, whatever the setting says.
MIN_KEEP_DAYS = 183


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
    """Append one event at the end of the chain; inside a transaction when its write is one."""
    event: dict[str, Any] = {
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
    if session is not None and session.in_transaction:
        # Store.transaction holds the process's audit lock for the whole transaction.
        await _append(store, event, session)
        return
    async with store.audit_lock:
        await _append(store, event, None)


async def _append(store: Store, event: dict[str, Any], session: AsyncClientSession | None) -> None:
    """Number, link and insert the event; the caller holds the process's audit lock.

    The lock keeps this process's writers in single file, so they never race
    each other for a place; other processes may still take one first, which
    the unique index on seq refuses, and the event tries the next place (or,
    inside a transaction, the whole transaction is tried again).
    """
    in_transaction = session is not None and session.in_transaction
    for _ in range(RACE_ATTEMPTS):
        seq, prev = await _tail(store, session)
        event.update(seq=seq + 1, prev=prev)
        event["hash"] = digest(event)
        try:
            await store.db[COLLECTION].insert_one(dict(event), session=session)
        except DuplicateKeyError as exc:
            if "seq" not in ((exc.details or {}).get("keyPattern") or {}):
                raise  # another rule refused the event: the write it records must fail too
            store.audit_tail, store.audit_tail_committed = None, False
            if in_transaction:
                raise AuditRace("the audit chain moved on; the transaction is retried") from exc
            continue
        # Inside a transaction, a hint only until it commits (Store.transaction says so).
        store.audit_tail = (event["seq"], event["hash"])
        store.audit_tail_committed = not in_transaction
        return
    raise AuditRace("the audit trail is busy; try again in a moment")


async def _tail(store: Store, session: AsyncClientSession | None) -> tuple[int, str]:
    """The chain's last event (sequence, hash), from the hint and then by exact lookups."""
    events = store.db[COLLECTION]
    tail = store.audit_tail
    if tail is not None and not store.audit_tail_committed:
        # The hint may name an event whose transaction rolled back: check it is there.
        hinted = await events.find_one({"seq": tail[0]}, {"hash": 1}, session=session)
        if hinted is None or hinted.get("hash") != tail[1]:
            tail = None
    if tail is None:
        last = await events.find_one(
            {"seq": {"$gt": 0}}, {"seq": 1, "hash": 1}, sort=[("seq", -1)], session=session
        )
        tail = (last["seq"], last["hash"]) if last else (0, GENESIS)
    # Other processes may have written since.
    while (later := await events.find_one({"seq": tail[0] + 1}, session=session)) is not None:
        tail = (later["seq"], later["hash"])
    return tail


async def expire(store: Store, *, keep_days: int) -> int:
    """Remove the events older than keep_days, recording first how far expiry goes.

    Only a run of the oldest events is removed, never one from the middle of
    the chain. The expiry event names the first event kept and its link back,
    which is what lets verification start there; it is written before the
    removal, so a crash between the two leaves the chain whole, not broken.
    """
    if keep_days < MIN_KEEP_DAYS:
        raise ValueError(f"keep_days must be at least {MIN_KEEP_DAYS}, not {keep_days}")
    events = store.db[COLLECTION]
    cutoff = store.now() - timedelta(days=keep_days)
    oldest = await events.find_one({"seq": {"$gt": 0}}, {"seq": 1, "at": 1}, sort=[("seq", 1)])
    if oldest is None or as_utc(oldest["at"]) >= cutoff:
        return 0
    first_kept = await events.find_one(
        {"seq": {"$gt": 0}, "at": {"$gte": cutoff}}, {"seq": 1, "prev": 1}, sort=[("seq", 1)]
    )
    if first_kept is None:
        return 0  # everything is old, and the newest must stay to carry the chain on

    count = await events.count_documents({"seq": {"$lt": first_kept["seq"]}})
    await record(
        store,
        SYSTEM,
        audit_chain.EXPIRE_ACTION,
        "audit",
        detail={
            "before_seq": first_kept["seq"],
            "prev": first_kept["prev"],
            "removed": count,
            "older_than": iso(cutoff),
        },
    )
    await events.delete_many({"seq": {"$lt": first_kept["seq"]}})
    logger.info("audit.expired", extra={"removed": count, "before_seq": first_kept["seq"]})
    return count


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
    """Newest first; managers see their team's, users below manager only their own.

    Nobody sees the events of a document they may not see (records.policy),
    nor of its tombstone once it is destroyed.
    """
    if actor.external:
        raise Forbidden("external users may not read the audit trail")
    query: dict[str, Any] = {}
    # The cases whose events can be listed; None: any case.
    among: list[Any] | None = None
    if not allows(actor, Action.AUDIT_READ_ALL):
        if user and user != actor.username:
            raise Forbidden(f"{actor.level} users may see only their own audit events")
        query["user"] = actor.username
    else:
        if user:
            query["user"] = user
        if actor.level != "admin":
            among, scope = await _team_scope(store, actor)
            query = {"$and": [query, scope]}
    if case_id:
        query["case_id"] = _maybe_id(case_id)
        among = [query["case_id"]]

    hidden = await _hidden_documents(store, actor, among=among)
    if document_id:
        wanted = _maybe_id(document_id)
        # The events of a document the actor may not see are none of theirs.
        query["document_id"] = {"$in": []} if wanted in hidden else wanted
    elif hidden:
        query["document_id"] = {"$nin": sorted(hidden)}
    if since or until:
        query["at"] = {
            **({"$gte": since} if since else {}),
            **({"$lt": until} if until else {}),
        }

    return await page(store.db[COLLECTION], query, limit=limit, cursor=cursor, newest_first=True)


async def export_events(
    store: Store,
    actor: Actor,
    *,
    case_id: str | None = None,
    document_id: str | None = None,
    user: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Every event the filters match (managers and up), newest first; the export is audited."""
    if not allows(actor, Action.AUDIT_READ_ALL):
        raise Forbidden(f"{actor.level} users may not export the audit trail")
    filters: dict[str, Any] = {
        "case_id": case_id,
        "document_id": document_id,
        "user": user,
        "since": since,
        "until": until,
    }
    await record(
        store,
        actor,
        "audit.export",
        "audit",
        detail={k: (iso(v) if isinstance(v, datetime) else v) for k, v in filters.items() if v},
    )

    async def events() -> AsyncIterator[dict[str, Any]]:
        cursor: str | None = None
        while True:
            found = await list_events(
                store,
                actor,
                case_id=case_id,
                document_id=document_id,
                user=user,
                since=since,
                until=until,
                limit=MAX_LIMIT,
                cursor=cursor,
            )
            for event in found.items:
                yield event
            if found.next_cursor is None:
                return
            cursor = found.next_cursor

    return events()


async def _team_scope(store: Store, actor: Actor) -> tuple[list[Any], dict[str, Any]]:
    """A manager's view: events on their team's cases, and their members' other events.

    Without it a manager could read, through the audit, the titles and
    activity of another team's cases that answer them 404 everywhere else.
    The cases come back with the query clause.
    """
    # Imported here: cases and users write their own events through this module.
    from records.cases import CASES
    from records.users import USERS

    case_ids = await store.db[CASES].distinct("_id", case_filter(actor))
    members = await store.db[USERS].distinct("_id", {"team": actor.team})
    return case_ids, {
        "$or": [
            {"case_id": {"$in": case_ids}},
            {"case_id": None, "user_id": {"$in": [str(m) for m in members]}},
        ]
    }


async def _hidden_documents(store: Store, actor: Actor, *, among: list[Any] | None) -> set[Any]:
    """The documents, and destroyed documents' tombstones, whose limit leaves the actor out.

    Seeing a case, only a limit to named people hides one of its documents,
    and few documents have one: they are read through the sparse index on
    the limit's users (records.indexes) and judged by records.policy here.
    Every event on a document carries its case, so among (the cases whose
    events are listed; None for any) narrows them.
    """
    # Imported here: documents write their own events through this module.
    from records.documents import DOCUMENTS, TOMBSTONES

    cases = None if among is None else set(among)
    hidden: set[Any] = set()
    for collection in (DOCUMENTS, TOMBSTONES):
        limited = store.db[collection].find(
            {"restricted_to.users": {"$exists": True}}, {"case_id": 1, "restricted_to": 1}
        )
        async for found in limited:
            if cases is not None and found.get("case_id") not in cases:
                continue
            if not within_restriction(actor, found.get("restricted_to")):
                hidden.add(found["_id"])
    return hidden


CSV_COLUMNS = ("seq", "at", "user", "action", "target", "detail", "ip", "case_id", "document_id")


def event_row(event: dict[str, Any]) -> list[str]:
    """One event as CSV cells; a cell a spreadsheet would run as a formula is quoted as text."""
    values = {
        **event,
        "at": iso(event["at"]),
        "detail": json.dumps(
            event.get("detail") or {}, ensure_ascii=False, default=str, sort_keys=True
        ),
    }
    return [spreadsheet_safe(values.get(name)) for name in CSV_COLUMNS]


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
