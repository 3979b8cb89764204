"""Legal holds: a reason that stops destruction of a person's, a case's or a document's records.

A hold is checked twice: when a disposal is proposed, and again at the
moment of destruction inside the destroying transaction (retention.destroy).
Applying one also adds its id to `held_by` on every document it covers, in
the same transaction as the hold itself. That write is what makes a race
safe: destruction's own conditional write on the same document requires
`held_by` to be empty, so of a hold and a destruction running at once,
MongoDB lets one commit and makes the other retry (WriteConflict), and the
retried one sees what the first did. Documents filed into a held case later
carry no mark, so the destroying transaction also reads the holds themselves.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, cases, documents, offenders
from records.actors import Actor
from records.cases import CASES
from records.documents import DOCUMENTS
from records.errors import Conflict, Forbidden, NotFound
from records.paging import Page, page
from records.policy import Action, case_filter, require
from records.store import Store, as_utc, iso, parse_id
from records.validation import Fields
from retention import visibility

HOLDS = "retention_holds"
REASONS = {
    "litigation": "Litigation",
    "inquiry_moratorium": "Inquiry moratorium",
    "mappa": "MAPPA",
    "subject_access_request": "Subject access request",
    "foi_request": "Freedom of information request",
    "unlawfully_at_large": "Unlawfully at large",
    "restricted_patient": "Restricted patient",
    "other": "Other",
}
TARGETS = ("offender", "case", "document")
ACTIVE = {"lifted": None}


def read_hold(data: Any) -> tuple[str, str, str, str]:
    """(reason, note, target, id) from a request; every problem at once."""
    fields = Fields(data)
    fields.unknown({"reason", "note", "target", "id", "code"})
    reason = fields.text("reason", max_length=64)
    note = fields.text("note", max_length=2000)
    target = fields.text("target", max_length=16)
    ident = fields.text("id", max_length=64)
    if reason is not None and reason not in REASONS:
        fields.fail("reason", f"must be one of {', '.join(REASONS)}, not {reason[:40]!r}")
    if target is not None and target not in TARGETS:
        fields.fail("target", f"must be one of {', '.join(TARGETS)}, not {target[:40]!r}")
    fields.check()
    assert reason and note and target and ident
    return reason, note, target, ident


async def apply_hold(store: Store, actor: Actor, data: Any) -> dict[str, Any]:
    require(actor, Action.RETENTION_REVIEW)
    reason, note, target, ident = read_hold(data)
    hold, covered = await _target(store, actor, target, ident)
    hold |= {
        "reason": reason,
        "note": note,
        "applied_by": actor.username,
        "applied_at": store.now(),
        "lifted": None,
    }

    async def insert(session: AsyncClientSession) -> dict[str, Any]:
        hold.pop("_id", None)
        done = await store.db[HOLDS].insert_one(hold, session=session)
        await store.db[DOCUMENTS].update_many(
            covered, {"$addToSet": {"held_by": done.inserted_id}}, session=session
        )
        await audit.record(
            store,
            actor,
            "retention.hold.apply",
            f"retention_hold:{done.inserted_id}",
            case_id=hold.get("case_id"),
            document_id=hold.get("target_document"),
            detail={"reason": reason, "target": target, "id": ident},
            session=session,
        )
        return hold

    return await store.transaction(insert)


async def _target(
    store: Store, actor: Actor, target: str, ident: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The hold's target fields, and the query for the documents it covers now."""
    if target == "document":
        document, case = await documents.load(store, actor, ident, Action.RETENTION_REVIEW)
        fields = {
            "target": target,
            "target_document": document["_id"],
            "case_id": case["_id"],
            "offender_id": case["offender_id"],
        }
        return fields, {"_id": document["_id"]}
    if target == "case":
        case = await cases.get_case(store, actor, ident, action=Action.RETENTION_REVIEW)
        fields = {
            "target": target,
            "target_case": case["_id"],
            "case_id": case["_id"],
            "offender_id": case["offender_id"],
        }
        return fields, {"case_id": case["_id"]}
    # The register of offenders is open to every team: a hold on a person covers
    # all their cases, those of teams the records manager cannot see as well.
    # It is asked of someone who sees one of them at least, or they could not
    # read the hold they had made (visible).
    offender = await offenders.get_offender(store, actor, ident)
    if not await visibility.sees_any_case_of(store, actor, offender["_id"]):
        raise Forbidden("you can see none of this person's cases, so cannot hold their records")
    case_ids = await store.db[CASES].distinct("_id", {"offender_id": offender["_id"]})
    fields = {"target": target, "target_offender": offender["_id"], "offender_id": offender["_id"]}
    return fields, {"case_id": {"$in": case_ids}}


async def lift_hold(store: Store, actor: Actor, hold_id: str, data: Any) -> dict[str, Any]:
    hold = await get_hold(store, actor, hold_id)
    if hold["target"] == "offender" and not await visibility.sees_every_case_of(
        store, actor, hold["target_offender"]
    ):
        # Lifting exposes every case the hold covers to destruction, so it
        # is for someone who can see them all.
        raise Forbidden(
            "the hold covers cases of this person you cannot see: ask a records "
            "manager who can see all of them to lift it"
        )
    fields = Fields(data)
    fields.unknown({"note", "code"})
    note = fields.text("note", max_length=2000)
    fields.check()
    if hold["lifted"] is not None:
        raise _lifted_already(hold)

    async def lift(session: AsyncClientSession) -> dict[str, Any]:
        lifted = await store.db[HOLDS].find_one_and_update(
            {"_id": hold["_id"], **ACTIVE},
            {"$set": {"lifted": {"by": actor.username, "at": store.now(), "note": note}}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if lifted is None:
            # Lifted by another request since it was read (two clicks at once).
            now = await store.db[HOLDS].find_one({"_id": hold["_id"]}, session=session)
            if now is None or now.get("lifted") is None:
                raise NotFound.absent("legal hold", hold_id)
            raise _lifted_already(now)
        await store.db[DOCUMENTS].update_many(
            {"held_by": hold["_id"]}, {"$pull": {"held_by": hold["_id"]}}, session=session
        )
        await audit.record(
            store,
            actor,
            "retention.hold.lift",
            f"retention_hold:{hold['_id']}",
            case_id=hold.get("case_id"),
            document_id=hold.get("target_document"),
            detail={"reason": hold["reason"], "note": note},
            session=session,
        )
        return lifted

    return await store.transaction(lift)


def _lifted_already(hold: dict[str, Any]) -> Conflict:
    # Refused rather than answered as done: the note given now would be lost.
    when = as_utc(hold["lifted"]["at"]).date().isoformat()
    return Conflict(f"the hold was already lifted by {hold['lifted']['by']} on {when}")


async def get_hold(store: Store, actor: Actor, hold_id: str) -> dict[str, Any]:
    require(actor, Action.RETENTION_REVIEW)
    found = await store.db[HOLDS].find_one(
        {"$and": [{"_id": parse_id(hold_id, kind="legal hold")}, await visible(store, actor)]}
    )
    if found is None or not await _sees_document_of(store, actor, found):
        raise NotFound.absent("legal hold", hold_id)
    return found


async def list_holds(
    store: Store,
    actor: Actor,
    *,
    active_only: bool = True,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    require(actor, Action.RETENTION_REVIEW)
    query: dict[str, Any] = await visible(store, actor)
    if active_only:
        query = {"$and": [query, ACTIVE]}
    found = await page(store.db[HOLDS], query, limit=limit, cursor=cursor, newest_first=True)
    seen = [hold for hold in found.items if await _sees_document_of(store, actor, hold)]
    return Page(items=seen, next_cursor=found.next_cursor)


async def visible(store: Store, actor: Actor) -> dict[str, Any]:
    """Holds on cases the actor sees, and on people one of whose cases they see.

    A hold's note may say more than its target (a victim, an inquiry), so
    a person's hold is not shown to every team even though the register is.
    """
    scope = case_filter(actor)
    if not scope:
        return {}
    case_ids = await store.db[CASES].distinct("_id", scope)
    offender_ids = await store.db[CASES].distinct("offender_id", scope)
    return {"$or": [{"case_id": {"$in": case_ids}}, {"target_offender": {"$in": offender_ids}}]}


async def _sees_document_of(store: Store, actor: Actor, hold: dict[str, Any]) -> bool:
    """A hold on one document is seen only by those who see the document (its limit too)."""
    if hold.get("target_document") is None:
        return True
    return await visibility.sees_every_document(store, actor, [hold["target_document"]])


async def holds_on(
    store: Store, document: dict[str, Any], session: AsyncClientSession | None = None
) -> list[dict[str, Any]]:
    """The active holds covering the document: on it, its case or its offender."""
    case = await store.db[CASES].find_one(
        {"_id": document["case_id"]}, {"offender_id": 1}, session=session
    )
    covering: list[dict[str, Any]] = [
        {"target_document": document["_id"]},
        {"target_case": document["case_id"]},
    ]
    if case is not None:
        covering.append({"target_offender": case["offender_id"]})
    query = {**ACTIVE, "$or": covering}
    return [h async for h in store.db[HOLDS].find(query, session=session)]


async def with_holds(store: Store, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents with `held_by` as it stands: their own marks and the holds on their cases.

    A document filed into a held case, or a held person's case, after the hold
    carries no mark until mark_covered makes one; what is shown must not wait
    for that.
    """
    if not found:
        return found
    case_ids = list({d["case_id"] for d in found})
    person_of = {
        c["_id"]: c["offender_id"]
        async for c in store.db[CASES].find({"_id": {"$in": case_ids}}, {"offender_id": 1})
    }
    covering = [
        {"target_case": {"$in": case_ids}},
        {"target_offender": {"$in": list(set(person_of.values()))}},
    ]
    holds_of: dict[ObjectId, list[ObjectId]] = {}
    async for hold in store.db[HOLDS].find({**ACTIVE, "$or": covering}):
        for case_id, person in person_of.items():
            if hold.get("target_case") == case_id or hold.get("target_offender") == person:
                holds_of.setdefault(case_id, []).append(hold["_id"])

    def held(document: dict[str, Any]) -> dict[str, Any]:
        marks = [*(document.get("held_by") or []), *holds_of.get(document["case_id"], [])]
        return document | {"held_by": list(dict.fromkeys(marks))}

    return [held(d) for d in found]


async def mark_covered(store: Store) -> int:
    """Marks the documents filed under a case or person hold since it was applied; how many.

    The mark is what destruction's conditional writes test (see above), so
    each document a hold covers should carry it; the sweep makes it good.
    """
    marked = 0
    async for hold in store.db[HOLDS].find({**ACTIVE, "target": {"$in": ["case", "offender"]}}):
        if hold["target"] == "case":
            case_ids = [hold["target_case"]]
        else:
            case_ids = await store.db[CASES].distinct(
                "_id", {"offender_id": hold["target_offender"]}
            )
        done = await store.db[DOCUMENTS].update_many(
            {"case_id": {"$in": case_ids}, "held_by": {"$ne": hold["_id"]}},
            {"$addToSet": {"held_by": hold["_id"]}},
        )
        marked += done.modified_count
    return marked


async def held_scope(store: Store) -> dict[str, list[ObjectId]]:
    """Every active hold's targets, for a pipeline to test documents against."""
    scope: dict[str, list[ObjectId]] = {"documents": [], "cases": [], "offenders": []}
    async for hold in store.db[HOLDS].find(ACTIVE):
        for field, into in (
            ("target_document", "documents"),
            ("target_case", "cases"),
            ("target_offender", "offenders"),
        ):
            if hold.get(field) is not None:
                scope[into].append(hold[field])
    return scope


def hold_view(hold: dict[str, Any]) -> dict[str, Any]:
    ident = hold.get("target_document") or hold.get("target_case") or hold.get("target_offender")
    lifted = hold.get("lifted")
    return {
        "id": str(hold["_id"]),
        "reason": hold["reason"],
        "reason_label": REASONS.get(hold["reason"], hold["reason"]),
        "note": hold["note"],
        "target": hold["target"],
        "target_id": str(ident),
        "case_id": str(hold["case_id"]) if hold.get("case_id") else None,
        "applied_by": hold["applied_by"],
        "applied_at": iso(hold["applied_at"]),
        "lifted": None
        if lifted is None
        else {"by": lifted["by"], "at": iso(lifted["at"]), "note": lifted["note"]},
    }


async def ensure_indexes(store: Store) -> None:
    await store.db[HOLDS].create_indexes(
        [
            IndexModel([("target_document", ASCENDING)], sparse=True),
            IndexModel([("target_case", ASCENDING)], sparse=True),
            IndexModel([("target_offender", ASCENDING)], sparse=True),
            IndexModel([("case_id", ASCENDING)]),
        ]
    )
    await store.db[DOCUMENTS].create_indexes([IndexModel([("held_by", ASCENDING)], sparse=True)])
