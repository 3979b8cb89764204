"""Access to a case beyond its team: external users' associations, other teams' shares.

A caseworker associates a parole panel member or a legal representative to
a case, optionally until a date; they then see its shared documents. A case
may also be shared with another team for a stated purpose (work across
departmental boundaries), optionally until a date; that team may read it,
not change it. Both are read afresh on every request (attach) rather than
kept in a session or token, so ending one takes effect at the next request.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from bson import ObjectId

from records import audit, users
from records.actors import Actor
from records.errors import Forbidden, InvalidInput, NotFound
from records.policy import Action, require
from records.store import Store, as_utc, iso
from records.validation import Fields

ASSOCIATIONS = "associations"
SHARES = "case_shares"


async def attach(store: Store, actor: Actor) -> Actor:
    """The actor with the cases open to them beyond their team's, as of now."""
    if actor.level == "admin" and not actor.external:
        return actor  # administrators see every case already
    current = {"$or": [{"until": None}, {"until": {"$gt": store.now()}}]}
    if actor.external:
        found = store.db[ASSOCIATIONS].find({"user_id": actor.id, **current}, {"case_id": 1})
    else:
        found = store.db[SHARES].find({"team": actor.team, **current}, {"case_id": 1})
    return actor.associated_to(frozenset([str(a["case_id"]) async for a in found]))


def _end_of(day: str | None) -> datetime | None:
    """The end of the day named, so "until 2027-01-31" includes the 31st."""
    return datetime.combine(datetime.fromisoformat(day), time.max, UTC) if day else None


async def associate(store: Store, actor: Actor, case: dict[str, Any], data: Any) -> dict[str, Any]:
    """Associate an external user to the case (or change the end of an association)."""
    require(actor, Action.CASE_WRITE, case, what="case")
    fields = Fields(data)
    fields.unknown({"user_id", "until"})
    user_id = fields.text("user_id", max_length=64)
    until = fields.date("until", earliest=store.now().date())
    fields.check()
    assert user_id is not None

    user = await _external_user(store, user_id)
    ends = _end_of(until)
    association = {
        "case_id": case["_id"],
        "user_id": str(user["_id"]),
        "username": user["username"],
        "until": ends,
        "created_by": actor.username,
        "created_at": store.now(),
    }
    await store.db[ASSOCIATIONS].replace_one(
        {"case_id": case["_id"], "user_id": association["user_id"]}, association, upsert=True
    )
    await audit.record(
        store,
        actor,
        "association.create",
        f"case:{case['_id']}",
        case_id=case["_id"],
        detail={"user": user["username"], "until": iso(ends) if ends else None},
    )
    return association


async def end(store: Store, actor: Actor, case: dict[str, Any], user_id: str) -> None:
    """End an association now: the user's next request no longer reaches the case."""
    require(actor, Action.CASE_WRITE, case, what="case")
    removed = await store.db[ASSOCIATIONS].find_one_and_delete(
        {"case_id": case["_id"], "user_id": user_id}
    )
    if removed is None:
        raise NotFound(f"user {user_id[:40]!r} is not associated to this case")
    await audit.record(
        store,
        actor,
        "association.end",
        f"case:{case['_id']}",
        case_id=case["_id"],
        detail={"user": removed["username"]},
    )


async def list_associations(
    store: Store, actor: Actor, case: dict[str, Any]
) -> list[dict[str, Any]]:
    require(actor, Action.CASE_READ, case, what="case")
    if actor.external:
        raise Forbidden("external users may not see who else a case is open to")
    found = store.db[ASSOCIATIONS].find({"case_id": case["_id"]}).sort("created_at", 1)
    return [a async for a in found]


def association_view(association: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    return {
        **_grant_view(association, now=now),
        "user_id": association["user_id"],
        "username": association["username"],
    }


def _grant_view(grant: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """What associations and shares both say: the case, until when, by whom."""
    until = grant.get("until")
    return {
        "case_id": str(grant["case_id"]),
        "until": iso(until) if until else None,
        "active": until is None or as_utc(until) > now,
        "created_by": grant["created_by"],
        "created_at": iso(grant["created_at"]),
    }


async def _external_user(store: Store, user_id: str) -> dict[str, Any]:
    user = (
        await store.db[users.USERS].find_one({"_id": ObjectId(user_id)})
        if ObjectId.is_valid(user_id)
        else None
    )
    if user is None:
        raise InvalidInput.field("user_id", f"there is no user {user_id!r}")
    if not user.get("external"):
        raise InvalidInput.field(
            "user_id",
            f"{user['username']} is not an external user; internal users reach cases by team",
        )
    return user


async def share(store: Store, actor: Actor, case: dict[str, Any], data: Any) -> dict[str, Any]:
    """Share the case with another team, to read, for a purpose (or change the share)."""
    require(actor, Action.CASE_WRITE, case, what="case")
    fields = Fields(data)
    fields.unknown({"team", "purpose", "until"})
    team = fields.text("team", max_length=64)
    purpose = fields.text("purpose", max_length=500)
    until = fields.date("until", earliest=store.now().date())
    fields.check()
    assert team is not None and purpose is not None

    if team == case["team"]:
        raise InvalidInput.field("team", f"the case already belongs to team {team!r}")
    if not await users.team_exists(store, team):
        raise InvalidInput.field("team", f"there is no team named {team!r}")
    ends = _end_of(until)
    shared = {
        "case_id": case["_id"],
        "team": team,
        "purpose": purpose,
        "until": ends,
        "created_by": actor.username,
        "created_at": store.now(),
    }
    await store.db[SHARES].replace_one({"case_id": case["_id"], "team": team}, shared, upsert=True)
    await audit.record(
        store,
        actor,
        "case.share",
        f"case:{case['_id']}",
        case_id=case["_id"],
        detail={"team": team, "purpose": purpose, "until": iso(ends) if ends else None},
    )
    return shared


async def unshare(store: Store, actor: Actor, case: dict[str, Any], team: str) -> None:
    require(actor, Action.CASE_WRITE, case, what="case")
    removed = await store.db[SHARES].find_one_and_delete({"case_id": case["_id"], "team": team})
    if removed is None:
        raise NotFound(f"the case is not shared with team {team[:64]!r}")
    await audit.record(
        store,
        actor,
        "case.unshare",
        f"case:{case['_id']}",
        case_id=case["_id"],
        detail={"team": team},
    )


async def list_shares(store: Store, actor: Actor, case: dict[str, Any]) -> list[dict[str, Any]]:
    require(actor, Action.CASE_READ, case, what="case")
    if actor.external:
        raise Forbidden("external users may not see how a case is shared")
    found = store.db[SHARES].find({"case_id": case["_id"]}).sort("created_at", 1)
    return [s async for s in found]


async def current_shares(store: Store, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The teams the case is shared with now (ended shares left out)."""
    current = {"$or": [{"until": None}, {"until": {"$gt": store.now()}}]}
    return [s async for s in store.db[SHARES].find({"case_id": case["_id"], **current})]


def share_view(shared: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    return {**_grant_view(shared, now=now), "team": shared["team"], "purpose": shared["purpose"]}
