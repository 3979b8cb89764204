"""Offenders: the people casework is about, with the identifiers other systems use."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from records import audit
from records.actors import Actor
from records.errors import (
    Conflict,
    Duplicate,
    Forbidden,
    InvalidInput,
    NotFound,
    StaleRevision,
)
from records.paging import Page, check_limit, decode_cursor, encode_cursor, page
from records.policy import Action, require
from records.store import Store, iso, parse_id
from records.validation import Fields

logger = logging.getLogger(__name__)

OFFENDERS = "offenders"

# NOMS numbers are one letter, four digits, two letters (e.g. A1234AA).
NOMS = re.compile(r"^[A-Z]\d{4}[A-Z]{2}$")
IDENTIFIER = re.compile(r"^[A-Z0-9/ -]{1,20}$")
IDENTIFIERS = ("nomis_number", "pnc_number", "cro_number", "prison_number", "crn")
# The dates retention schedules start from (retention.rules triggers); each may be unknown.
LIFE_DATES = ("date_of_death", "sentence_expiry_date", "licence_expiry_date")
FIELDS = {"family_name", "given_names", "date_of_birth", "aliases", *IDENTIFIERS, *LIFE_DATES}
# Search keys kept on each record (search_keys): name words casefolded, identifiers as stored.
SEARCH_NAMES = "search_names"
SEARCH_IDS = "search_ids"
SEARCH_KEYS = (SEARCH_NAMES, SEARCH_IDS)


# Nobody on licence today was born before this; a typo such as 0985 is caught.
EARLIEST_BIRTH = "1900-01-01"


def _read(
    data: Any, *, partial: bool, today: date, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The fields sent, checked; current is the stored record a partial change applies to."""
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

    _check_life_dates(fields, record, current or {}, today=today)
    fields.check()
    return record


def _check_life_dates(
    fields: Fields, sent: dict[str, Any], current: dict[str, Any], *, today: date
) -> None:
    """Refuse dates no life can have: they would start retention periods early or never.

    A death cannot be in the future; no life date can come before the birth.
    Expiry dates may lie ahead (a sentence still running), so only the birth
    bounds them. A field already refused is left out (its value is None here).
    """
    died = sent.get("date_of_death")
    if died is not None and died > today.isoformat():
        fields.fail("date_of_death", "must not be in the future")

    merged = current | sent
    born = merged.get("date_of_birth")
    if born is None or any(p.field == "date_of_birth" for p in fields.problems):
        return
    for name in LIFE_DATES:
        when = merged.get(name)
        if when is None or when >= born:
            continue
        if name in sent:
            fields.fail(name, f"must not be before the date of birth ({born})")
        elif "date_of_birth" in sent:
            # The birth moved past a date already held: name the field the client sent.
            label = name.replace("_", " ")
            fields.fail("date_of_birth", f"must not be after the {label} held ({when})")


def new_offender_record(data: Any, *, today: date) -> dict[str, Any]:
    """An offender's fields as they would be stored, every rule checked, with their search keys."""
    record = {k: v for k, v in _read(data, partial=False, today=today).items() if v is not None}
    return record | search_keys(record)


def search_keys(record: dict[str, Any]) -> dict[str, list[str]]:
    """What the offender is found by: each word of their names and aliases, their identifiers.

    Kept on the record, and indexed, because the embedded database answers a
    case-insensitive regular expression by scanning every offender: a prefix
    of a normalised word is a range on an index, an identifier an equality.
    """
    texts = [record.get("family_name"), record.get("given_names"), *record.get("aliases", [])]
    names = {word for text in texts if text for word in _normalised(text).split()}
    identifiers = {record[name] for name in IDENTIFIERS if record.get(name)}
    return {SEARCH_NAMES: sorted(names), SEARCH_IDS: sorted(identifiers)}


def _normalised(text: str) -> str:
    # casefold, not lower: the same rule for the record and the query, Unicode's.
    return text.casefold()


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
    refused = len(fields.problems)
    value = fields.text(name, required=False, max_length=20)
    if value is None or len(fields.problems) > refused:
        return value  # too long already said; its letters are not judged as well
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
    store: Store,
    actor: Actor,
    offender_id: str,
    data: Any,
    *,
    expected_revision: int | None = None,
) -> dict[str, Any]:
    """Change the fields sent; with expected_revision, only while the record is still at it."""
    require(actor, Action.OFFENDER_WRITE)
    oid = parse_id(offender_id, kind="offender")
    current = await store.db[OFFENDERS].find_one({"_id": oid})
    if current is None:
        raise NotFound.absent("offender", offender_id)
    # Whether they may comes before what they sent: a refusal reads the same for any body.
    await _require_a_case_of_ours(store, actor, oid)
    if expected_revision is not None and revision_of(current) != expected_revision:
        raise _stale(expected_revision)
    asked = _read(data, partial=True, today=store.now().date(), current=current)
    changes = {name: value for name, value in asked.items() if current.get(name) != value}
    if not changes:
        return current  # nothing would change: no new revision, no event

    update = _set_and_unset(changes)
    changed = {k: v for k, v in {**current, **changes}.items() if v is not None}
    update.setdefault("$set", {}).update(search_keys(changed))
    # The revision read guards the write: a change landing in between makes it match nothing,
    # and the checks above (a birth against a death) were made on what is replaced.
    # {"revision": None} also matches a record filed before revisions were kept.
    try:
        updated = await store.db[OFFENDERS].find_one_and_update(
            {"_id": oid, "revision": current.get("revision")},
            update,
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError as exc:
        raise Duplicate("an offender with that NOMS number already exists") from exc
    if updated is None and expected_revision is not None:
        raise _stale(expected_revision)
    if updated is None:
        # No If-Match was sent, so this is no stale precondition (412) but a race (409).
        raise Conflict("the offender was changed by someone else at the same moment; try again")

    await audit.record(
        store, actor, "offender.update", f"offender:{oid}", detail={"fields": sorted(changes)}
    )
    return updated


def revision_of(offender: dict[str, Any]) -> int:
    # Records filed before revisions were kept count as the first.
    return int(offender.get("revision", 1))


def _stale(expected_revision: int) -> StaleRevision:
    return StaleRevision(
        f"the offender has changed since revision {expected_revision}; "
        "fetch them again and reapply your change"
    )


# Longer than any real name or identifier.
MAX_QUERY = 200
MAX_WORD = 64
BACKFILL_BATCH = 1000


async def search_offenders(
    store: Store,
    actor: Actor,
    q: str | None,
    *,
    limit: int | None,
    cursor: str | None,
    born: str | None = None,
) -> Page:
    """Match words of names and aliases by prefix, identifiers exactly (case-insensitive).

    born, a date as YYYY-MM-DD, keeps only the people born that day.
    """
    require(actor, Action.OFFENDER_READ, what="offender")
    words = q.split() if q else []
    if words and (len(q or "") > MAX_QUERY or any(len(word) > MAX_WORD for word in words)):
        raise InvalidInput.field(
            "q", f"must be at most {MAX_QUERY} characters, words at most {MAX_WORD}"
        )
    base: dict[str, Any] = {"date_of_birth": born} if born else {}
    if not words:
        return await page(store.db[OFFENDERS], base, limit=limit, cursor=cursor)
    return await _matching(store, words[:5], base, limit=limit, cursor=cursor)


async def _matching(
    store: Store, words: list[str], base: dict[str, Any], *, limit: int | None, cursor: str | None
) -> Page:
    """Offenders matching every word, in _id order, a page at a time.

    The longest word is looked up through the indexes on the search keys (its
    name prefix as a range, as an identifier by equality); any other word is
    checked on what that finds. Each query is one flat filter: SecantusDB
    plans no index for a filter with a top-level operator such as $or or $and.
    """
    size = check_limit(limit)
    primary = max(words, key=len)
    others = list(words)
    others.remove(primary)
    if cursor:
        base = base | {"_id": {"$gt": decode_cursor(cursor)}}

    found: dict[ObjectId, dict[str, Any]] = {}
    for clause in ({SEARCH_NAMES: _prefix_range(primary)}, {SEARCH_IDS: primary.upper()}):
        matches = store.db[OFFENDERS].find(clause | base).sort("_id", 1)
        if not others:
            # Alone, the word's own matches are the answer: the database pages them.
            matches = matches.limit(size + 1)
        async for offender in matches:
            if all(_matches_word(offender, word) for word in others):
                found[offender["_id"]] = offender

    ordered = [found[key] for key in sorted(found)][: size + 1]
    items = ordered[:size]
    return Page(items, encode_cursor(items[-1]["_id"]) if len(ordered) > size else None)


def _prefix_range(word: str) -> dict[str, str]:
    """The search keys that start with word: from it up to the next string of its length.

    BSON compares strings by their UTF-8 bytes, which order as code points do.
    """
    start = _normalised(word)
    last = ord(start[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # no string holds a lone surrogate: skip past them
        last = 0xE000
    if last > 0x10FFFF:
        return {"$gte": start}
    return {"$gte": start, "$lt": start[:-1] + chr(last)}


def _matches_word(offender: dict[str, Any], word: str) -> bool:
    prefix = _normalised(word)
    return word.upper() in offender.get(SEARCH_IDS, []) or any(
        name.startswith(prefix) for name in offender.get(SEARCH_NAMES, [])
    )


async def backfill_search_keys(store: Store) -> int:
    """Give offenders filed before search keys existed theirs, in bulk; how many were missing."""
    missing = store.db[OFFENDERS].find({SEARCH_NAMES: {"$exists": False}})
    updates = [
        UpdateOne({"_id": offender["_id"]}, {"$set": search_keys(offender)})
        async for offender in missing
    ]
    for start in range(0, len(updates), BACKFILL_BATCH):
        await store.db[OFFENDERS].bulk_write(updates[start : start + BACKFILL_BATCH], ordered=False)
    if updates:
        logger.info("offenders.search_keys_backfilled", extra={"offenders": len(updates)})
    return len(updates)


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
        "revision": revision_of(offender),
        "created_at": iso(offender["created_at"]),
    }


async def get_offender_by_oid(store: Store, oid: ObjectId) -> dict[str, Any] | None:
    return await store.db[OFFENDERS].find_one({"_id": oid})


async def may_change(store: Store, actor: Actor, offender: dict[str, Any]) -> bool:
    """Whether update_offender would let the actor change this record (pages offer the form)."""
    try:
        await require_may_change(store, actor, offender)
    except Forbidden:
        return False
    return True


async def require_may_change(store: Store, actor: Actor, offender: dict[str, Any]) -> None:
    """Forbidden unless update_offender would let the actor change this record.

    A form asks this before reading what was typed, so someone who may not
    change the record learns that, not what was wrong with their dates.
    """
    require(actor, Action.OFFENDER_WRITE)
    await _require_a_case_of_ours(store, actor, offender["_id"])


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
