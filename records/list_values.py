"""Changing the lists of values: adding, relabelling, reordering, retiring and deleting values.

A value some record holds is retired, never deleted, so that the record
still reads as it did; records.vocabulary.resolve refuses a retired value
for anything new. Only a value no record holds may be deleted.
"""

from __future__ import annotations

import re
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit
from records.actors import Actor
from records.errors import Conflict, InvalidInput, NotFound
from records.list_defaults import DEFINITIONS, ListDefinition
from records.policy import Action, require
from records.store import Store
from records.validation import Fields, has_control_characters
from records.vocabulary import LISTS, ORDER_STEP, REQUIREMENTS, normalise, normalised

MAX_VALUES = 1000
MAX_CODE = 64
MAX_LABEL = 200
MAX_ORDER = 1_000_000
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$", re.ASCII)
# OWASP's advice on CSV injection: a cell starting with one of these is run as a formula.
_FORMULA_START = ("=", "+", "-", "@")
_WHERE = {
    "cases": "cases",
    "documents": "documents",
    "dossier_templates": "dossier templates",
    "retention_rules": "retention rules",
}


def definition(name: str) -> ListDefinition:
    """The list's definition, or NotFound naming the lists there are."""
    found = DEFINITIONS.get(name)
    if found is None:
        raise NotFound(f"there is no list {name[:60]!r}; the lists are: {', '.join(DEFINITIONS)}")
    return found


def missing_value(name: str, code: str) -> NotFound:
    return NotFound(f"the list {name} has no value {code[:MAX_CODE]!r}")


def list_summaries(actor: Actor) -> list[dict[str, str]]:
    require(actor, Action.LISTS_READ)
    return [
        {"name": d.name, "label": d.label, "description": d.description}
        for d in DEFINITIONS.values()
    ]


async def read_list(
    store: Store, actor: Actor, name: str, *, include_retired: bool = False
) -> dict[str, Any]:
    """The list with its values in order; retired ones only when asked for."""
    require(actor, Action.LISTS_READ)
    found = definition(name)
    stored = await store.db[LISTS].find_one({"_id": name}) or {}
    values = normalised(stored.get("values") or [])
    return {
        "name": found.name,
        "label": found.label,
        "description": found.description,
        "items": [v for v in values if include_retired or not v["retired"]],
        "next_cursor": None,
    }


def code_problem(code: str) -> str | None:
    if len(code) > MAX_CODE:
        return f"must be at most {MAX_CODE} characters"
    if not _CODE.match(code):
        return "must be snake_case: lower-case letters, digits and single underscores, as hmp_leeds"
    return None


def label_problem(label: str) -> str | None:
    if len(label) > MAX_LABEL:
        return f"must be at most {MAX_LABEL} characters"
    if has_control_characters(label):
        return "must not contain control characters"
    if label.startswith(_FORMULA_START):
        return "must not start with = + - or @ (a spreadsheet would run it as a formula)"
    return None


def clash(values: list[dict[str, Any]], code: str, label: str) -> str | None:
    """Why code and label would make another value ambiguous to resolve(), if they would."""
    wanted = normalise(label)
    for other in values:
        if other["code"] == code:
            continue
        if wanted in (other["code"], normalise(other["label"])):
            return f"reads the same as {other['code']!r} ({other['label']})"
        if code == normalise(other["label"]):
            return f"the code reads the same as the label of {other['code']!r}"
    return None


def merge(
    values: list[dict[str, Any]],
    before: dict[str, Any] | None,
    code: str,
    *,
    label: str | None,
    order: int | None,
    retired: bool | None,
) -> dict[str, Any]:
    """The value after a change: what is not given is kept, or for a new value, defaulted.

    A new value needs its label; it goes last unless given an order, and is in use.
    """
    if before is None:
        assert label is not None, "a new value needs a label"
        last = max((v["order"] for v in values), default=0) + ORDER_STEP
        return {
            "code": code,
            "label": label,
            "order": last if order is None else order,
            "retired": bool(retired),
        }
    return {
        "code": code,
        "label": before["label"] if label is None else label,
        "order": before["order"] if order is None else order,
        "retired": before["retired"] if retired is None else retired,
    }


async def put_value(
    store: Store, actor: Actor, name: str, code: str, body: Any
) -> tuple[dict[str, Any], bool]:
    """Create the value or change its label, order or retirement; (value, created)."""
    require(actor, Action.LISTS_MANAGE)
    definition(name)
    fields = Fields(body)
    fields.unknown({"label", "order", "retired"})
    if problem := code_problem(code):
        fields.fail("code", problem)
    label = fields.text("label", required=False, max_length=MAX_LABEL)
    checked = not any(p.field == "label" for p in fields.problems)
    if label is not None and checked and (problem := label_problem(label)):
        fields.fail("label", problem)
    order = _order(fields, body.get("order"))
    retired = fields.boolean("retired", default=None)
    fields.check()

    async def apply(session: AsyncClientSession) -> tuple[dict[str, Any], bool]:
        values = await stored_values(store, name, session)
        before = next((v for v in values if v["code"] == code), None)
        if before is None and label is None:
            raise InvalidInput.field("label", "is required for a new value")
        if before is None and len(values) >= MAX_VALUES:
            raise InvalidInput.field("code", f"the list already holds {MAX_VALUES} values")
        after = merge(values, before, code, label=label, order=order, retired=retired)
        if problem := clash(values, code, after["label"]):
            raise InvalidInput.field("label", problem)
        if after == before:
            return after, False
        others = [v for v in values if v["code"] != code]
        await save_values(store, actor, name, normalised([*others, after]), session)
        await audit.record(
            store,
            actor,
            "list.value.create" if before is None else "list.value.update",
            f"list:{name}/{code}",
            detail=_changes(before, after),
            session=session,
        )
        return after, before is None

    return await store.transaction(apply)


def _order(fields: Fields, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ORDER:
        fields.fail("order", f"must be a whole number from 0 to {MAX_ORDER}")
        return None
    return value


def _changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps of a change: the new value, or each field's [old, new]."""
    if before is None:
        return {"value": after}
    changed = [k for k in ("label", "order", "retired") if before[k] != after[k]]
    return {k: [before[k], after[k]] for k in changed}


async def delete_value(store: Store, actor: Actor, name: str, code: str) -> None:
    """Delete a value no record holds; Conflict, advising retirement, for one in use."""
    require(actor, Action.LISTS_MANAGE)
    definition(name)

    async def apply(session: AsyncClientSession) -> None:
        # Inside the transaction: a record or a retention rule given the code
        # meanwhile must stop the deletion, not outlive its value.
        where = await used_in(store, name, code, session)
        if where:
            raise Conflict(
                f"{code!r} is in use in {', '.join(where)}, so it cannot be deleted; "
                "retire it instead: records holding it keep it, and nothing new is given it"
            )
        values = await stored_values(store, name, session)
        gone = next((v for v in values if v["code"] == code), None)
        if gone is None:
            raise missing_value(name, code)
        kept = [v for v in values if v["code"] != code]
        await save_values(store, actor, name, kept, session)
        await audit.record(
            store,
            actor,
            "list.value.delete",
            f"list:{name}/{code}",
            detail={"value": gone},
            session=session,
        )

    await store.transaction(apply)


async def used_in(
    store: Store, name: str, code: str, session: AsyncClientSession | None = None
) -> list[str]:
    """Where records hold the code (cases, documents, ...); empty when nowhere."""
    where = [
        _WHERE.get(collection, collection)
        for collection, field in definition(name).references
        if await store.db[collection].find_one({field: code}, {"_id": 1}, session=session)
        is not None
    ]
    if code in await _required_codes(store, name, session):
        where.append("dossier requirements")
    return where


async def codes_in_use(store: Store, name: str) -> set[str]:
    """Every code of the list that some record holds."""
    used: set[str] = set()
    for collection, field in definition(name).references:
        used |= {str(c) for c in await store.db[collection].distinct(field)}
    return used | await _required_codes(store, name)


async def _required_codes(
    store: Store, name: str, session: AsyncClientSession | None = None
) -> set[str]:
    """The codes the dossier requirements name: case types as keys, document types as values."""
    if name not in ("case_types", "document_types"):
        return set()
    found = await store.db[LISTS].find_one({"_id": REQUIREMENTS}, session=session) or {}
    by_case_type: dict[str, list[str]] = found.get("by_case_type") or {}
    if name == "case_types":
        return {case_type for case_type, wanted in by_case_type.items() if wanted}
    return {code for wanted in by_case_type.values() for code in wanted}


async def stored_values(
    store: Store, name: str, session: AsyncClientSession | None = None
) -> list[dict[str, Any]]:
    found = await store.db[LISTS].find_one({"_id": name}, session=session) or {}
    return normalised(found.get("values") or [])


async def save_values(
    store: Store,
    actor: Actor,
    name: str,
    values: list[dict[str, Any]],
    session: AsyncClientSession,
) -> None:
    await store.db[LISTS].update_one(
        {"_id": name},
        {
            "$set": {"values": values, "updated_at": store.now(), "updated_by": actor.username},
            "$inc": {"revision": 1},
        },
        upsert=True,
        session=session,
    )
