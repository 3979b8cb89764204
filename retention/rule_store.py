"""The stored retention rules: seeded once, read, changed by administrators, imported.

Each change is one transaction with its audit event. What a rule is and how
it is read from what an administrator sends lives in retention.rules.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from records import audit, vocabulary
from records.actors import Actor
from records.errors import Duplicate, NotFound, StaleRevision
from records.policy import Action, require
from records.store import Store, parse_id
from retention.errors import BadRule
from retention.rule_fields import Choices
from retention.rules import (
    DEFAULT_RULES,
    RULES,
    Rule,
    from_record,
    precedence,
    read_rule,
    to_record,
)


async def ensure_indexes(store: Store) -> None:
    await store.db[RULES].create_indexes([IndexModel([("code", ASCENDING)], unique=True)])


async def seed(store: Store) -> None:
    """The default schedule, once: an administrator's later edits are never undone."""
    if await store.db[RULES].estimated_document_count() > 0:
        return
    if await store.db["lists"].find_one({"_id": "retention_seeded"}):
        return
    for rule in DEFAULT_RULES:
        # Another process may have seeded it first.
        with contextlib.suppress(DuplicateKeyError):
            await store.db[RULES].insert_one(
                {
                    **to_record(rule),
                    "revision": 1,
                    "created_at": store.now(),
                    "created_by": "system",
                }
            )
    await store.db["lists"].update_one(
        {"_id": "retention_seeded"}, {"$set": {"at": store.now()}}, upsert=True
    )


async def all_rules(store: Store, *, record_class: str | None = None) -> list[Rule]:
    query = {"record_class": record_class} if record_class else {}
    return [from_record(r) async for r in store.db[RULES].find(query).sort("code", ASCENDING)]


async def list_rules(store: Store, actor: Actor) -> list[Rule]:
    require(actor, Action.RETENTION_RULES_READ)
    return precedence(await all_rules(store))


async def get_rule(store: Store, actor: Actor, rule_id: str) -> Rule:
    require(actor, Action.RETENTION_RULES_READ)
    record = await store.db[RULES].find_one({"_id": parse_id(rule_id, kind="retention rule")})
    if record is None:
        raise NotFound.absent("retention rule", rule_id)
    return from_record(record)


async def create_rule(store: Store, actor: Actor, data: Any) -> Rule:
    require(actor, Action.RETENTION_RULES_MANAGE)
    rule = read_rule(data, await rule_choices(store))

    async def insert(session: AsyncClientSession) -> Rule:
        await _still_allowed(store, [rule], session)
        record = {
            **to_record(rule),
            "revision": 1,
            "created_at": store.now(),
            "created_by": actor.username,
        }
        try:
            done = await store.db[RULES].insert_one(record, session=session)
        except DuplicateKeyError as exc:
            raise Duplicate(f"a retention rule with code {rule.code!r} already exists") from exc
        await _audit(store, actor, "retention.rule.create", done.inserted_id, rule, session)
        return replace(rule, id=str(done.inserted_id))

    return await store.transaction(insert)


async def update_rule(
    store: Store, actor: Actor, rule_id: str, data: Any, *, expected_revision: int | None = None
) -> Rule:
    """Replace the rule whole, at the revisions sent (If-Match, the body's), if any.

    A rule as GET shows it carries its revision, so two administrators who
    each send back what they read do not silently overwrite one another. A
    rule sent back unchanged changes nothing, its revision included.
    """
    require(actor, Action.RETENTION_RULES_MANAGE)
    oid = parse_id(rule_id, kind="retention rule")
    rule = read_rule(data, await rule_choices(store), whole=True)
    expected = {r for r in (expected_revision, _sent_revision(data)) if r is not None}

    async def apply(session: AsyncClientSession) -> Rule:
        stored = await store.db[RULES].find_one({"_id": oid}, session=session)
        if stored is None:
            raise NotFound.absent("retention rule", rule_id)
        current = from_record(stored)
        stale = sorted(r for r in expected if r != current.revision)
        if stale:
            raise StaleRevision(
                f"the rule has changed since revision {stale[0]}; "
                "fetch it again and reapply your change"
            )
        if to_record(current) == to_record(rule):
            return current
        await _still_allowed(store, [rule], session)
        try:
            updated = await store.db[RULES].find_one_and_update(
                {"_id": oid, "revision": current.revision},
                {"$set": {**to_record(rule), "updated_at": store.now()}, "$inc": {"revision": 1}},
                return_document=ReturnDocument.AFTER,
                session=session,
            )
        except DuplicateKeyError as exc:
            raise Duplicate(f"another retention rule has code {rule.code!r}") from exc
        if updated is None:
            raise StaleRevision("the rule was changed at the same moment; fetch it again")
        await _audit(store, actor, "retention.rule.update", oid, rule, session)
        return from_record(updated)

    return await store.transaction(apply)


def _sent_revision(data: dict[str, Any]) -> int | None:
    sent = data.get("revision")
    if sent is None:
        return None
    if isinstance(sent, bool) or not isinstance(sent, int) or not 1 <= sent < 10**18:
        raise BadRule.field("revision", "must be the revision read, a whole number such as 3")
    return sent


async def delete_rule(store: Store, actor: Actor, rule_id: str) -> None:
    require(actor, Action.RETENTION_RULES_MANAGE)
    oid = parse_id(rule_id, kind="retention rule")

    async def remove(session: AsyncClientSession) -> None:
        record = await store.db[RULES].find_one_and_delete({"_id": oid}, session=session)
        if record is None:
            raise NotFound.absent("retention rule", rule_id)
        await _audit(store, actor, "retention.rule.delete", oid, from_record(record), session)

    await store.transaction(remove)


async def replace_from(store: Store, actor: Actor, rules: list[Rule]) -> dict[str, int]:
    """Import: every rule by code, created or changed, in one transaction; others kept.

    Audited once, naming the codes created and changed.
    """
    require(actor, Action.RETENTION_RULES_MANAGE)
    codes = [r.code for r in rules]
    if len(set(codes)) != len(codes):
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        raise BadRule.field("code", f"the file names {repeated[0]!r} more than once")

    async def apply(session: AsyncClientSession) -> dict[str, int]:
        await _still_allowed(store, rules, session)
        done: dict[str, list[str]] = {"created": [], "changed": [], "unchanged": []}
        for rule in rules:
            done[await _import_one(store, actor, rule, session)].append(rule.code)
        await audit.record(
            store,
            actor,
            "retention.rules.import",
            "retention_rules",
            detail={
                "created": done["created"],
                "changed": done["changed"],
                "unchanged": len(done["unchanged"]),
            },
            session=session,
        )
        return {outcome: len(codes) for outcome, codes in done.items()}

    return await store.transaction(apply)


async def _import_one(store: Store, actor: Actor, rule: Rule, session: AsyncClientSession) -> str:
    """Create or change the rule with rule's code: created, changed or unchanged."""
    record = to_record(rule)
    found = await store.db[RULES].find_one({"code": rule.code}, session=session)
    if found is None:
        await store.db[RULES].insert_one(
            {**record, "revision": 1, "created_at": store.now(), "created_by": actor.username},
            session=session,
        )
        return "created"

    # Both read through Rule, so lists stored in another order compare equal.
    if to_record(from_record(found)) == record:
        return "unchanged"
    await store.db[RULES].update_one(
        {"_id": found["_id"]},
        {"$set": {**record, "updated_at": store.now()}, "$inc": {"revision": 1}},
        session=session,
    )
    return "changed"


async def _audit(
    store: Store,
    actor: Actor,
    action: str,
    oid: ObjectId,
    rule: Rule,
    session: AsyncClientSession,
) -> None:
    await audit.record(
        store,
        actor,
        action,
        f"retention_rule:{oid}",
        detail={"code": rule.code, "summary": rule.describe()},
        session=session,
    )


async def _still_allowed(store: Store, rules: list[Rule], session: AsyncClientSession) -> None:
    """The rules' codes checked again inside the transaction that writes them.

    A list value deleted between the first check and this write would leave
    a rule covering nothing. The write to the two lists makes a deletion in
    another process at the same moment conflict with this transaction, so
    one of them is retried and sees the other.
    """
    choices = await rule_choices(store, session)
    for rule in rules:
        for field in ("case_types", "doc_types"):
            if problem := choices.unlisted(field, getattr(rule, field)):
                raise BadRule.field(field, f"{problem} (it was deleted meanwhile)")
    await store.db[vocabulary.LISTS].update_many(
        {"_id": {"$in": ["case_types", "document_types"]}},
        {"$inc": {"rule_checks": 1}},
        session=session,
    )


async def rule_choices(store: Store, session: AsyncClientSession | None = None) -> Choices:
    """The case types and document types rules may cover.

    Retired values too: records keep a retired type (records.list_values
    retires a value in use rather than deleting it), and they still need
    their schedule. And every code a stored rule already covers, so that a
    rule whose value has since been deleted from its list can still be
    exported and imported back unchanged.
    """
    held: dict[str, set[str]] = {"case_types": set(), "doc_types": set()}
    stored = store.db[RULES].find({}, {"case_types": 1, "doc_types": 1}, session=session)
    async for record in stored:
        for field, codes in held.items():
            codes.update(str(c) for c in record.get(field) or ())
    listed = {
        field: {str(v["code"]) for v in await vocabulary.values(store, name, session)}
        for field, name in (("case_types", "case_types"), ("doc_types", "document_types"))
    }
    return Choices(
        case_types=frozenset(listed["case_types"] | held["case_types"]),
        doc_types=frozenset(listed["doc_types"] | held["doc_types"]),
    )
