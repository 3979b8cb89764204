"""The records managers' review: what is due, and what they decide about it.

A decision is one of: retain until a new date (with a reason), hold, or
propose destruction or transfer. A proposal is carried out only once a
second records manager approves it; the approver cannot be the proposer, and
re-enters their second factor (records.credentials.confirm_second_factor).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, credentials, documents
from records.actors import Actor
from records.cases import CASES
from records.documents import DOCUMENTS
from records.errors import Conflict, InvalidInput, NotFound
from records.paging import Page, check_limit, page
from records.policy import Action, case_filter, document_filter, require
from records.store import Store, as_utc, iso, parse_id
from records.validation import Fields
from retention import current, expressions, holds, queue_order, rule_store
from retention import rules as schedule
from retention.errors import HoldActive, NotDue, SamePerson
from retention.evaluate import DISPOSITIONS
from retention.visibility import sees_every_document, visible_documents

PROPOSALS = "retention_proposals"
RUNS = "retention_runs"
DECISIONS = ("retain", "hold", "destroy", "transfer")
MAX_BATCH = 500
# A proposal may be made for documents in these review states only.
_OPEN = [None, "blocked"]
_NOT_HELD: dict[str, Any] = {"held_by": {"$in": [None, []]}}


def end_of(day: date) -> datetime:
    """The last moment of a day, so a record due that day is due all of it."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC) - timedelta(milliseconds=1)


def is_due(disposition: dict[str, Any] | None, today: date) -> bool:
    """A rule governs the record and its date has come."""
    due = (disposition or {}).get("due")
    return due is not None and as_utc(due) <= end_of(today)


def retained_past(document: dict[str, Any], today: date) -> bool:
    """A decision to retain the record runs past today."""
    retained = (document.get("review") or {}).get("retained_until")
    return retained is not None and as_utc(retained) > end_of(today)


def read_day(value: str | None, field: str, *, default: date) -> date:
    if not value:
        return default
    fields = Fields({field: value})
    checked = fields.date(field)
    fields.check()
    assert checked is not None
    return date.fromisoformat(checked)


def retained_clause(as_of: date) -> dict[str, Any]:
    """Not kept back: no decision to retain the record runs past as_of."""
    return {
        "$or": [
            {"review.retained_until": None},
            {"review.retained_until": {"$lte": end_of(as_of)}},
        ],
    }


STATES = ("due", "held", "proposed", "approved", "blocked", "transferred")


def _state_clause(state: str | None) -> dict[str, Any]:
    """What the database can narrow to; the item's own state decides (_shows_state)."""
    if state is None:
        # Transferred and kept: its disposition is done, though its rule is still due.
        return {"review.state": {"$ne": "transferred"}}
    if state in ("due", "held"):
        return {"review.state": {"$in": _OPEN}}
    if state in STATES:
        return {"review.state": state}
    raise InvalidInput.field("state", f"must be one of {', '.join(STATES)}")


def _shows_state(document: dict[str, Any], state: str | None) -> bool:
    return state is None or queue_item(document)["state"] == state


async def queue(
    store: Store,
    actor: Actor,
    *,
    as_of: date | None = None,
    filters: dict[str, str | None] | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """The documents due for disposition on as_of (today), filtered as asked.

    Ordered by case, then document. The cases come from evaluation's stored
    records, in the order it wrote (retention.queue_order), those with
    something due by as_of; their documents' rules and dates are computed as
    they stand (retention.current) a few cases at a time, until the page is
    full.
    """
    require(actor, Action.RETENTION_REVIEW)
    day = as_of or store.now().date()
    size = check_limit(limit)
    wanted = {k: v for k, v in (filters or {}).items() if v}
    if wanted.get("action", "review") not in schedule.ACTIONS:
        raise InvalidInput.field("action", f"must be one of {', '.join(schedule.ACTIONS)}")
    clauses = [document_filter(actor), retained_clause(day), _state_clause(wanted.get("state"))]
    if "doc_type" in wanted:
        clauses.append({"doc_type": wanted["doc_type"]})
    after = _decode_place(cursor) if cursor else None

    scope = case_filter(actor)
    visible = set(await store.db[CASES].distinct("_id", scope)) if scope else None

    def candidate(entry: dict[str, Any]) -> bool:
        if as_utc(entry["next_due"]) > end_of(day):
            return False
        if "action" in wanted and wanted["action"] not in entry["actions"]:
            return False
        if "rule" in wanted and wanted["rule"] not in entry["rules"]:
            return False
        return visible is None or entry["case_id"] in visible

    rules = await rule_store.all_rules(store)
    found: list[dict[str, Any]] = []
    chunk: list[ObjectId] = []
    # A few cases first, more while the page is not full: each case's
    # documents cost about 0.2 ms apiece to choose rules for on the embedded server.
    wanted_cases = 4
    entries = queue_order.in_order(store, DISPOSITIONS, after[0] if after else None)
    async for entry in entries:
        if not candidate(entry):
            continue
        chunk.append(entry["case_id"])
        if len(chunk) == wanted_cases:
            found += await _due_in(store, rules, chunk, clauses, day, wanted, after)
            chunk = []
            wanted_cases = min(wanted_cases * 2, expressions.CASES_AT_ONCE)
            if len(found) > size:
                break
    await entries.aclose()
    if chunk and len(found) <= size:
        found += await _due_in(store, rules, chunk, clauses, day, wanted, after)

    items = found[:size]
    more = len(found) > size
    return Page(items, _encode_place(items[-1]) if more else None)


async def _due_in(
    store: Store,
    rules: list[schedule.Rule],
    case_ids: list[ObjectId],
    clauses: list[dict[str, Any]],
    day: date,
    wanted: dict[str, str],
    after: tuple[ObjectId, ObjectId] | None,
) -> list[dict[str, Any]]:
    """The documents of these cases due on day, in (case, document) order."""
    match = {"$and": clauses}
    found = await current.with_dispositions(store, rules, case_ids, match)
    due = []
    for document in await holds.with_holds(store, found):
        disposition = document["disposition"]
        if disposition is None or as_utc(disposition["due"]) > end_of(day):
            continue
        if any(disposition[k] != wanted[k] for k in ("action", "rule") if k in wanted):
            continue
        if not _shows_state(document, wanted.get("state")):
            continue
        if after is not None and (document["case_id"], document["_id"]) <= after:
            continue
        due.append(document)
    return sorted(due, key=lambda d: (d["case_id"], d["_id"]))


def _encode_place(document: dict[str, Any]) -> str:
    raw = document["case_id"].binary + document["_id"].binary
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_place(cursor: str) -> tuple[ObjectId, ObjectId]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput.field("cursor", "is not a cursor this server issued") from exc
    if len(raw) != 24:
        raise InvalidInput.field("cursor", "is not a cursor this server issued")
    return ObjectId(raw[:12]), ObjectId(raw[12:])


def queue_item(document: dict[str, Any]) -> dict[str, Any]:
    disposition = document.get("disposition") or {}
    review = document.get("review") or {}
    retained = review.get("retained_until")
    return {
        "document_id": str(document["_id"]),
        "case_id": str(document["case_id"]),
        "title": document["title"],
        "doc_type": document["doc_type"],
        "protective_marking": document["protective_marking"],
        "rule": disposition.get("rule"),
        "action": disposition.get("action"),
        "trigger": disposition.get("trigger"),
        "trigger_date": _day(disposition.get("trigger_date")),
        "due": _day(disposition.get("due")),
        "held": bool(document.get("held_by")),
        "state": review.get("state") or ("held" if document.get("held_by") else "due"),
        "retained_until": _day(retained),
        "proposal_id": str(review["proposal_id"]) if review.get("proposal_id") else None,
    }


def _day(value: Any) -> str | None:
    return as_utc(value).date().isoformat() if isinstance(value, datetime) else None


# --- decisions ---------------------------------------------------------------


async def decide(store: Store, actor: Actor, data: Any) -> dict[str, Any]:
    """One decision over a batch of documents; all or nothing for a proposal."""
    require(actor, Action.RETENTION_REVIEW)
    fields = Fields(data)
    fields.unknown({"document_ids", "decision", "until", "reason", "hold_reason", "note"})
    ids = fields.text_list("document_ids", max_items=MAX_BATCH, max_length=64)
    decision = fields.text("decision", max_length=16)
    if not ids and not any(p.field == "document_ids" for p in fields.problems):
        fields.fail("document_ids", "name at least one document")
    if decision is not None and decision not in DECISIONS:
        fields.fail("decision", f"must be one of {', '.join(DECISIONS)}, not {decision[:20]!r}")
    until = fields.date("until", required=decision == "retain")
    reason = fields.text("reason", required=decision == "retain", max_length=2000)
    hold_reason = fields.text("hold_reason", required=decision == "hold", max_length=64)
    if decision == "hold" and hold_reason is not None and hold_reason not in holds.REASONS:
        # Checked here so the message names this request's field, not the hold's.
        fields.fail(
            "hold_reason", f"must be one of {', '.join(holds.REASONS)}, not {hold_reason[:40]!r}"
        )
    note = fields.text("note", required=decision == "hold", max_length=2000)
    fields.check()

    loaded = [
        await documents.load(store, actor, i, Action.RETENTION_REVIEW) for i in dict.fromkeys(ids)
    ]
    if decision == "retain":
        assert until and reason
        return await _retain(store, actor, loaded, date.fromisoformat(until), reason)
    if decision == "hold":
        made = [
            await holds.apply_hold(
                store,
                actor,
                {"reason": hold_reason, "note": note, "target": "document", "id": str(d["_id"])},
            )
            for d, _ in loaded
        ]
        return {"decision": "hold", "holds": [str(h["_id"]) for h in made]}
    assert decision in ("destroy", "transfer")
    return await propose(store, actor, [d for d, _ in loaded], decision, reason)


async def _retain(
    store: Store,
    actor: Actor,
    loaded: list[tuple[dict[str, Any], dict[str, Any]]],
    until: date,
    reason: str,
) -> dict[str, Any]:
    if until <= store.now().date():
        raise InvalidInput.field("until", "must be a date after today")
    for document, _ in loaded:
        if (document.get("review") or {}).get("state") in ("proposed", "approved", "destroying"):
            raise NotDue(
                f"{document['title']!r} is proposed for disposal; reject the proposal first"
            )

    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        for document, case in loaded:
            kept = await store.db[DOCUMENTS].update_one(
                {"_id": document["_id"], "review.state": {"$in": _OPEN}},
                {
                    "$set": {
                        "review.retained_until": end_of(until),
                        "review.retain_reason": reason,
                        "review.retained_by": actor.username,
                        "review.state": None,
                    }
                },
                session=session,
            )
            if kept.matched_count != 1:
                # Proposed by someone else since it was read: the proposal
                # must be rejected first, or it would go ahead regardless.
                raise NotDue(f"{document['title']!r} was proposed for disposal meanwhile")
            await audit.record(
                store,
                actor,
                "retention.retain",
                f"document:{document['_id']}",
                case_id=case["_id"],
                document_id=document["_id"],
                detail={"until": until.isoformat(), "reason": reason},
                session=session,
            )
        return {"decision": "retain", "until": until.isoformat(), "documents": len(loaded)}

    return await store.transaction(apply)


async def propose(
    store: Store, actor: Actor, chosen: list[dict[str, Any]], action: str, reason: str | None
) -> dict[str, Any]:
    """The first records manager's half of a disposal; nothing happens until a second approves."""
    today = store.now().date()
    standing = await current.of_documents(store, chosen)
    for document in chosen:
        await _check_disposable(store, document, standing.get(document["_id"]), today)
    proposal: dict[str, Any] = {
        "action": action,
        "document_ids": [d["_id"] for d in chosen],
        "reason": reason,
        "proposed_by": actor.username,
        "proposed_by_id": actor.id,
        "proposed_at": store.now(),
        "state": "proposed",
        "run_id": None,
    }

    async def insert(session: AsyncClientSession) -> dict[str, Any]:
        proposal.pop("_id", None)
        done = await store.db[PROPOSALS].insert_one(proposal, session=session)
        # Conditional on what was checked above, so that a hold, a retention
        # or another proposal landing meanwhile makes this match too few.
        marked = await store.db[DOCUMENTS].update_many(
            {
                "$and": [
                    {"_id": {"$in": proposal["document_ids"]}, "review.state": {"$in": _OPEN}},
                    _NOT_HELD,
                    retained_clause(today),
                ]
            },
            {"$set": {"review.state": "proposed", "review.proposal_id": done.inserted_id}},
            session=session,
        )
        if marked.modified_count != len(chosen):
            raise Conflict(
                "some of the documents changed meanwhile (held, retained, or proposed by "
                "someone else)"
            )
        await audit.record(
            store,
            actor,
            f"retention.propose.{action}",
            f"retention_proposal:{done.inserted_id}",
            detail={"documents": len(chosen), "reason": reason},
            session=session,
        )
        # One event per document, with its case, so that each shows in its
        # document's trail and is hidden, like the document, from readers
        # outside a limit: the proposal's own event names none of them.
        for document in chosen:
            await audit.record(
                store,
                actor,
                "retention.propose.document",
                f"document:{document['_id']}",
                case_id=document["case_id"],
                document_id=document["_id"],
                detail={"proposal": str(done.inserted_id), "action": action},
                session=session,
            )
        return proposal

    await store.transaction(insert)
    return proposal_view(proposal)


async def _check_disposable(
    store: Store, document: dict[str, Any], disposition: dict[str, Any] | None, today: date
) -> None:
    title = document["title"]
    review = document.get("review") or {}
    if not is_due(disposition, today):
        raise NotDue(f"{title!r} is not due for disposal yet")
    if retained_past(document, today):
        retained = as_utc(review["retained_until"]).date().isoformat()
        raise NotDue(f"{title!r} is retained until {retained}")
    if review.get("state") not in _OPEN:
        raise NotDue(f"{title!r} is already {review['state']} for disposal")
    found = await holds.holds_on(store, document)
    if found or document.get("held_by"):
        reasons = sorted({holds.REASONS.get(h["reason"], h["reason"]) for h in found}) or ["a hold"]
        raise HoldActive(
            f"{title!r} is under a legal hold ({', '.join(reasons)}) and cannot be disposed of"
        )


async def get_proposal(store: Store, actor: Actor, proposal_id: str) -> dict[str, Any]:
    """The proposal, if the actor sees every document in it; otherwise absent."""
    require(actor, Action.RETENTION_REVIEW)
    found = await store.db[PROPOSALS].find_one({"_id": parse_id(proposal_id, kind="proposal")})

    # Decided proposals too: their state must not tell others they exist.
    if found is None or not await sees_every_document(store, actor, found["document_ids"]):
        raise NotFound.absent("proposal", proposal_id)
    return found


PROPOSAL_STATES = ("proposed", "approved", "rejected")


async def list_proposals(
    store: Store,
    actor: Actor,
    *,
    state: str | None = "proposed",
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """A page of proposals in a state (None: all), newest first, each one the actor sees whole."""
    require(actor, Action.RETENTION_REVIEW)
    if state is not None and state not in PROPOSAL_STATES:
        raise InvalidInput.field("state", f"must be one of {', '.join(PROPOSAL_STATES)} or all")
    query: dict[str, Any] = {} if state is None else {"state": state}

    found = await page(store.db[PROPOSALS], query, limit=limit, cursor=cursor, newest_first=True)
    visible = await visible_documents(store, actor)
    # A page may come back short: a proposal naming a record the actor may
    # not see is left out whole, destroyed records judged by their tombstones.
    seen = [
        p
        for p in found.items
        if await sees_every_document(store, actor, p["document_ids"], visible=visible)
    ]
    return Page(items=seen, next_cursor=found.next_cursor)


async def approve(store: Store, actor: Actor, proposal_id: str, data: Any) -> dict[str, Any]:
    """The second records manager's half: a run to carry the proposal out, not yet begun."""
    proposal = await get_proposal(store, actor, proposal_id)
    fields = Fields(data)
    fields.unknown({"code"})
    fields.check()
    if proposal["state"] != "proposed":
        raise Conflict(f"the proposal is already {proposal['state']}")
    if proposal["proposed_by_id"] == actor.id:
        raise SamePerson("you proposed this disposal: a second records manager must approve it")
    await _check_still_due(store, proposal)
    factor = await credentials.confirm_second_factor(
        store, actor, data.get("code"), purpose="approving a disposal"
    )

    run = {
        "kind": "destruction" if proposal["action"] == "destroy" else "transfer",
        "proposal_id": proposal["_id"],
        "documents": proposal["document_ids"],
        "proposed_by": proposal["proposed_by"],
        "approved_by": actor.username,
        "approved_at": store.now(),
        "state": "approved",
        "results": [],
    }

    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        run.pop("_id", None)
        done = await store.db[RUNS].insert_one(run, session=session)
        moved = await store.db[PROPOSALS].update_one(
            {"_id": proposal["_id"], "state": "proposed"},
            {
                "$set": {
                    "state": "approved",
                    "approved_by": actor.username,
                    "run_id": done.inserted_id,
                }
            },
            session=session,
        )
        if moved.modified_count != 1:
            raise Conflict("the proposal was decided meanwhile")
        await store.db[DOCUMENTS].update_many(
            {"review.proposal_id": proposal["_id"], "review.state": "proposed"},
            {"$set": {"review.state": "approved", "review.run_id": done.inserted_id}},
            session=session,
        )
        await audit.record(
            store,
            actor,
            f"retention.approve.{proposal['action']}",
            f"retention_proposal:{proposal['_id']}",
            detail={
                "run": str(done.inserted_id),
                "factor": factor,
                "documents": len(run["documents"]),
            },
            session=session,
        )
        return run

    return await store.transaction(apply)


async def _check_still_due(store: Store, proposal: dict[str, Any]) -> None:
    """Refuses approval if a record fell out of the schedule since it was proposed.

    The rules, or the dates they count from (a date of death entered in
    error and corrected, say), may have changed in between; the approver
    decides on the schedule as it stands now, not as it stood then.
    """
    chosen = [d async for d in store.db[DOCUMENTS].find({"_id": {"$in": proposal["document_ids"]}})]
    standing = await current.of_documents(store, chosen)
    today = store.now().date()
    stale = [
        d["title"]
        for d in chosen
        if not is_due(standing.get(d["_id"]), today) or retained_past(d, today)
    ]
    if stale:
        named = ", ".join(repr(t) for t in sorted(stale)[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        raise NotDue(
            f"no longer due for disposal, by the schedule as it stands or a decision to "
            f"retain: {named}{more}; reject the proposal"
        )


async def reject(store: Store, actor: Actor, proposal_id: str, data: Any) -> dict[str, Any]:
    proposal = await get_proposal(store, actor, proposal_id)
    fields = Fields(data)
    fields.unknown({"reason"})
    reason = fields.text("reason", max_length=2000)
    fields.check()
    if proposal["state"] != "proposed":
        raise Conflict(f"the proposal is already {proposal['state']}")

    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        # Conditional, as approval is: of an approval and a rejection at
        # once, the transaction that commits second finds nothing to move.
        moved = await store.db[PROPOSALS].update_one(
            {"_id": proposal["_id"], "state": "proposed"},
            {"$set": {"state": "rejected", "rejected_by": actor.username, "rejection": reason}},
            session=session,
        )
        if moved.modified_count != 1:
            raise Conflict("the proposal was decided meanwhile")
        await store.db[DOCUMENTS].update_many(
            {"review.proposal_id": proposal["_id"], "review.state": "proposed"},
            {"$set": {"review.state": None, "review.proposal_id": None}},
            session=session,
        )
        await audit.record(
            store,
            actor,
            "retention.reject",
            f"retention_proposal:{proposal['_id']}",
            detail={"reason": reason},
            session=session,
        )
        return proposal | {"state": "rejected", "rejected_by": actor.username, "rejection": reason}

    return proposal_view(await store.transaction(apply))


def proposal_view(proposal: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(proposal["_id"]),
        "action": proposal["action"],
        "document_ids": [str(i) for i in proposal["document_ids"]],
        "reason": proposal.get("reason"),
        "proposed_by": proposal["proposed_by"],
        "proposed_at": iso(proposal["proposed_at"]),
        "state": proposal["state"],
        "run_id": str(proposal["run_id"]) if proposal.get("run_id") else None,
        "approved_by": proposal.get("approved_by"),
        "rejected_by": proposal.get("rejected_by"),
        "rejection_reason": proposal.get("rejection"),
    }


async def ensure_indexes(store: Store) -> None:
    await store.db[DOCUMENTS].create_indexes(
        [IndexModel([("review.proposal_id", ASCENDING)], sparse=True)]
    )
    await store.db[PROPOSALS].create_indexes([IndexModel([("state", ASCENDING)])])
    await store.db[RUNS].create_indexes([IndexModel([("state", ASCENDING)])])
