"""Offenders: the people casework is about, with the identifiers other systems use."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from records import audit
from records.actors import Actor
from records.errors import Duplicate, Forbidden, InvalidInput, NotFound
from records.paging import Page, page
from records.policy import Action, require
from records.store import Store, iso, parse_id
from records.validation import Fields

OFFENDERS = "offenders"

# NOMS numbers are one letter, four digits, two letters (e.g. A1234AA).
NOMS = re.compile(r"^[A-Z]\d{4}[A-Z]{2}$")
IDENTIFIER = re.compile(r"^[A-Z0-9/ -]{1,20}$")
IDENTIFIERS = ("nomis_number", "pnc_number", "cro_number", "prison_number", "crn")
# The dates retention schedules start from (retention.rules triggers); each may be unknown.
LIFE_DATES = ("date_of_death", "sentence_expiry_date", "licence_expiry_date")
FIELDS = {"family_name", "given_names", "date_of_birth", "aliases", *IDENTIFIERS, *LIFE_DATES}


# Nobody on licence today was born before this; a typo such as 0985 is caught.
EARLIEST_BIRTH = "1900-01-01"


def _read(data: Any, *, partial: bool, today: date) -> dict[str, Any]:
    fields = Fields(data)
    fields.unknown(FIELDS)

    def present(name: str) -> bool:
        return not partial or name in fields.data

    record: dict[str, Any] = {}

    for name in ("family_name", "given_names"):
        if present(name):
            record[name] = fields.text(name, max_length=100)
    if present("date_of_birth"):
        born = fields.date("date_of_birth", required=True)
        if born is not None and not EARLIEST_BIRTH <= born <= today.isoformat():
            fields.fail("date_of_birth", f"must lie between {EARLIEST_BIRTH} and today")
        record["date_of_birth"] = born
    for name in IDENTIFIERS:
        if name in fields.data:
            record[name] = _identifier(fields, name)
    for name in LIFE_DATES:
        if name in fields.data:
            # Sent as null, the date is forgotten (_set_and_unset removes it).
            record[name] = fields.date(name)
    if "aliases" in fields.data:
        record["aliases"] = fields.text_list("aliases")
    elif not partial:
        record["aliases"] = []

    fields.check()
    return record


def new_offender_record(data: Any, *, today: date) -> dict[str, Any]:
    """An offender's fields as they would be stored, every rule checked."""
    return {k: v for k, v in _read(data, partial=False, today=today).items() if v is not None}


def _set_and_unset(changes: dict[str, Any]) -> dict[str, Any]:
    # An identifier sent as null is removed, so the unique NOMS index ignores it.
    update: dict[str, Any] = {"$inc": {"revision": 1}}
    kept = {k: v for k, v in changes.items() if v is not None}
    dropped = {k: "" for k, v in changes.items() if v is None}
    if kept:
        update["$set"] = kept
    if dropped:
        update["$unset"] = dropped
    return update


def _identifier(fields: Fields, name: str) -> str | None:
    value = fields.text(name, required=False, max_length=20)
    if value is None:
        return None
    value = value.upper()
    if name == "nomis_number" and not NOMS.match(value):
        fields.fail(name, "must look like A1234AA (a letter, four digits, two letters)")
    elif not IDENTIFIER.match(value):
        fields.fail(name, "may hold only letters, digits, '/', '-' and spaces")
    return value


async def create_offender(store: Store, actor: Actor, data: Any) -> dict[str, Any]:
    require(actor, Action.OFFENDER_WRITE)
    record = new_offender_record(data, today=store.now().date())

    record |= {"created_at": store.now(), "created_by": actor.username, "revision": 1}
    try:
        result = await store.db[OFFENDERS].insert_one(record)
    except DuplicateKeyError as exc:
        raise Duplicate("an offender with that NOMS number already exists") from exc

    await audit.record(store, actor, "offender.create", f"offender:{result.inserted_id}")
    return record


async def get_offender(store: Store, actor: Actor, offender_id: str) -> dict[str, Any]:
    require(actor, Action.OFFENDER_READ, what="offender")
    found = await store.db[OFFENDERS].find_one({"_id": parse_id(offender_id, kind="offender")})
    if found is None:
        raise NotFound.absent("offender", offender_id)
    return found


async def update_offender(
    store: Store, actor: Actor, offender_id: str, data: Any
) -> dict[str, Any]:
    require(actor, Action.OFFENDER_WRITE)
    oid = parse_id(offender_id, kind="offender")
    current = await store.db[OFFENDERS].find_one({"_id": oid})
    if current is None:
        raise NotFound.absent("offender", offender_id)
    # Whether they may comes before what they sent: a refusal reads the same for any body.
    await _require_a_case_of_ours(store, actor, oid)
    asked = _read(data, partial=True, today=store.now().date())
    changes = {name: value for name, value in asked.items() if current.get(name) != value}
    if not changes:
        return current  # nothing would change: no new revision, no event

    try:
        updated = await store.db[OFFENDERS].find_one_and_update(
            {"_id": oid},
            _set_and_unset(changes),
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError as exc:
        raise Duplicate("an offender with that NOMS number already exists") from exc
    if updated is None:
        raise NotFound.absent("offender", offender_id)

    await audit.record(
        store, actor, "offender.update", f"offender:{oid}", detail={"fields": sorted(changes)}
    )
    return updated


# Longer than any real name or identifier, and short enough that the patterns
# built from it stay within the database's limit on regular expressions.
MAX_QUERY = 200
MAX_WORD = 64


async def search_offenders(
    store: Store,
    actor: Actor,
    q: str | None,
    *,
    limit: int | None,
    cursor: str | None,
    born: str | None = None,
) -> Page:
    """Match names and aliases by prefix, identifiers exactly (case-insensitive).

    born, a date as YYYY-MM-DD, keeps only the people born that day.
    """
    require(actor, Action.OFFENDER_READ, what="offender")
    clauses: list[dict[str, Any]] = []
    if q and q.strip():
        words = q.strip().split()
        if len(q) > MAX_QUERY or any(len(word) > MAX_WORD for word in words):
            raise InvalidInput.field(
                "q", f"must be at most {MAX_QUERY} characters, words at most {MAX_WORD}"
            )
        clauses.extend(_word_clause(w) for w in words[:5])
    if born:
        clauses.append({"date_of_birth": born})
    query: dict[str, Any] = {"$and": clauses} if clauses else {}
    return await page(store.db[OFFENDERS], query, limit=limit, cursor=cursor)


def _word_clause(word: str) -> dict[str, Any]:
    prefix = {"$regex": "^" + re.escape(word), "$options": "i"}
    exact = word.upper()
    return {
        "$or": [
            {"family_name": prefix},
            {"given_names": {"$regex": r"(^|\s)" + re.escape(word), "$options": "i"}},
            {"aliases": prefix},
            *({name: exact} for name in IDENTIFIERS),
        ]
    }


def offender_summary(offender: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(offender["_id"]),
        "family_name": offender["family_name"],
        "given_names": offender["given_names"],
        "date_of_birth": offender["date_of_birth"],
        "nomis_number": offender.get("nomis_number"),
    }


def offender_view(offender: dict[str, Any]) -> dict[str, Any]:
    return {
        **offender_summary(offender),
        **{name: offender.get(name) for name in IDENTIFIERS},
        **{name: offender.get(name) for name in LIFE_DATES},
        "aliases": offender.get("aliases", []),
        "revision": offender.get("revision", 1),
        "created_at": iso(offender["created_at"]),
    }


async def get_offender_by_oid(store: Store, oid: ObjectId) -> dict[str, Any] | None:
    return await store.db[OFFENDERS].find_one({"_id": oid})


async def _require_a_case_of_ours(store: Store, actor: Actor, oid: ObjectId) -> None:
    """Offenders are one register, read by every team; changed only by a team working on them.

    A team with a case about the offender may correct their record (as may an
    administrator); so may anyone while no case is open about them yet, as
    the record is being set up. Another team's caseworker may not.
    """
    if actor.level == "admin":
        return
    # Imported here: cases imports this module to name a case's offender.
    from records.cases import CASES

    about = store.db[CASES]
    if await about.count_documents({"offender_id": oid}, limit=1) == 0:
        return
    if await about.count_documents({"offender_id": oid, "team": actor.team}, limit=1) == 0:
        raise Forbidden(
            "only a team with a case about this offender, or an administrator, may change "
            "their record"
        )
