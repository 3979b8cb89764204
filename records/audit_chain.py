"""The audit trail as a hash chain, so an altered, inserted or removed event can be found.

Each event carries a sequence number (unique in the collection), the SHA-256
of the event before it, and its own SHA-256 over a canonical form of its
fields and that link. Anyone who edits an event must recompute every hash
after it; anyone who deletes one leaves a gap in the numbers. Old events do
expire (by policy, default two years): expiry records how far it went and
the link the first kept event points back to, so the chain can still be
verified from there.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId

from records.store import Store, as_utc, iso

GENESIS = "0" * 64
# The fields the hash covers; everything an investigator relies on.
HASHED = (
    "seq",
    "prev",
    "at",
    "user",
    "user_id",
    "action",
    "target",
    "detail",
    "ip",
    "case_id",
    "document_id",
)
EXPIRE_ACTION = "audit.expire"


def digest(event: dict[str, Any]) -> str:
    """The SHA-256 of an event's canonical form: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(
        {name: event.get(name) for name in HASHED},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_plain,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """Values as they read back from the database, so a stored event hashes the same."""
    if isinstance(value, datetime):
        return iso(as_utc(value))
    if isinstance(value, ObjectId):
        return str(value)
    raise TypeError(f"audit detail holds a {type(value).__name__}, which cannot be hashed")


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold, in words for an investigator."""

    seq: int | None
    event_id: str
    what: str


@dataclass
class Verified:
    events: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    expired_before: int | None = None
    broken: Break | None = None


async def verify(store: Store, collection: str) -> Verified:
    """Walk the chain in order; stop at the first event that breaks it."""
    result = Verified()
    events = store.db[collection]
    unchained = await events.find_one({"seq": {"$exists": False}}, {"_id": 1, "action": 1})
    if unchained is not None:
        result.broken = Break(
            None, str(unchained["_id"]), "has no place in the chain: it was inserted from outside"
        )
        return result

    previous: dict[str, Any] | None = None
    async for event in events.find({}).sort("seq", 1):
        result.events += 1
        broken = await _check(store, collection, event, previous)
        if broken is not None:
            result.broken = broken
            return result
        if previous is None:
            result.first_seq = event["seq"]
            result.expired_before = event["seq"] if event["seq"] > 1 else None
        result.last_seq, result.last_hash = event["seq"], event["hash"]
        previous = event
    return result


async def _check(
    store: Store, collection: str, event: dict[str, Any], previous: dict[str, Any] | None
) -> Break | None:
    seq, ident = event.get("seq"), str(event["_id"])
    if not isinstance(seq, int) or digest(event) != event.get("hash"):
        return Break(
            seq if isinstance(seq, int) else None, ident, "was altered after it was written"
        )
    if previous is None:
        if seq == 1 and event.get("prev") == GENESIS:
            return None
        if await _expiry_vouches_for(store, collection, event):
            return None
        return Break(
            seq, ident, f"is the first event, but events before it (1 to {seq - 1}) are gone"
        )
    if seq != previous["seq"] + 1:
        missing = f"{previous['seq'] + 1}" + (
            f" to {seq - 1}" if seq - 1 > previous["seq"] + 1 else ""
        )
        return Break(seq, ident, f"follows event {previous['seq']}: event {missing} was removed")
    if event.get("prev") != previous.get("hash"):
        return Break(
            seq, ident, f"does not link to event {previous['seq']}: one of them was replaced"
        )
    return None


async def _expiry_vouches_for(store: Store, collection: str, first: dict[str, Any]) -> bool:
    """Expiry of everything before first was recorded, naming first's link back."""
    recorded = await store.db[collection].find_one(
        {"action": EXPIRE_ACTION, "detail.before_seq": first["seq"]}
    )
    return recorded is not None and recorded["detail"].get("prev") == first.get("prev")
