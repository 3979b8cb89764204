"""Administrator-editable lists of values: case types, document types, establishments...

Codes are stable snake_case identifiers; clients may also send the label or
a spelling of the code with spaces or hyphens, which is normalised here.
Each list is one document of the lists collection, its values in an array
of {code, label, order, retired}; records.list_values changes them.
"""

from __future__ import annotations

import re
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit
from records.actors import Actor
from records.errors import InvalidInput
from records.list_defaults import CASE_TYPES, DEFINITIONS, DOCUMENT_TYPES
from records.policy import Action, require
from records.store import Store
from records.validation import Fields

LISTS = "lists"
# Orders are spaced so a value can be put between two without renumbering.
ORDER_STEP = 10

DEFAULT_CASE_TYPES = dict(CASE_TYPES)
DEFAULT_DOCUMENT_TYPES = dict(DOCUMENT_TYPES)

# The document types a case type's dossier must hold (data: an administrator
# may change them in the lists collection); a recall's, as today's recall
# dossiers are made up.
DEFAULT_DOSSIER_REQUIREMENTS = {
    "recall": [
        "licence",
        "part_a_recall_report",
        "previous_convictions",
        "pre_sentence_report",
        "oasys_assessment",
        "charge_sheet",
    ],
}
REQUIREMENTS = "dossier_requirements"


async def seed(store: Store) -> None:
    """Insert each list once, with its default values; an administrator's edits are kept."""
    for name, definition in DEFINITIONS.items():
        values = [
            {"code": code, "label": label, "order": (n + 1) * ORDER_STEP, "retired": False}
            for n, (code, label) in enumerate(definition.defaults)
        ]
        await store.db[LISTS].update_one(
            {"_id": name}, {"$setOnInsert": {"values": values, "revision": 1}}, upsert=True
        )
    await store.db[LISTS].update_one(
        {"_id": REQUIREMENTS},
        {"$setOnInsert": {"by_case_type": DEFAULT_DOSSIER_REQUIREMENTS}},
        upsert=True,
    )


async def dossier_requirements(store: Store, case_type: str) -> list[dict[str, str]]:
    """The document types (code and label) a dossier for case_type must hold."""
    found = await store.db[LISTS].find_one({"_id": REQUIREMENTS}) or {}
    codes = (found.get("by_case_type") or {}).get(case_type) or []
    labels = {v["code"]: v["label"] for v in await values(store, "document_types")}
    return [{"code": code, "label": labels.get(code, code)} for code in codes]


async def all_dossier_requirements(store: Store) -> dict[str, list[dict[str, str]]]:
    """Every case type and the document types its dossier must hold (none: an empty list)."""
    return {
        case_type["code"]: await dossier_requirements(store, case_type["code"])
        for case_type in await values(store, "case_types")
    }


async def set_dossier_requirements(
    store: Store, actor: Actor, case_type: str, body: Any
) -> tuple[str, list[dict[str, str]]]:
    """Replace the document types a case type's dossier must hold (an administrator's change)."""
    require(actor, Action.DOSSIER_SETUP)
    code = await resolve(store, "case_types", "case_type", case_type)
    fields = Fields(body)
    fields.unknown({"doc_types"})
    if not isinstance(body.get("doc_types"), list):
        fields.fail("doc_types", "must be a list of document types (empty for none)")
    given = fields.text_list("doc_types", max_items=50)
    fields.check()
    wanted = list(
        dict.fromkeys([await resolve(store, "document_types", "doc_types", g) for g in given])
    )

    async def apply(session: AsyncClientSession) -> None:
        await store.db[LISTS].update_one(
            {"_id": REQUIREMENTS},
            {"$set": {f"by_case_type.{code}": wanted}},
            upsert=True,
            session=session,
        )
        await audit.record(
            store,
            actor,
            "dossier_requirements.update",
            f"case_type:{code}",
            detail={"doc_types": wanted},
            session=session,
        )

    await store.transaction(apply)
    return code, await dossier_requirements(store, code)


async def values(
    store: Store, name: str, session: AsyncClientSession | None = None
) -> list[dict[str, Any]]:
    """Every value of the list, retired ones too (records holding them show their labels)."""
    found = await store.db[LISTS].find_one({"_id": name}, session=session)
    return normalised(found["values"]) if found else []


async def offered(store: Store, name: str, *, keeping: str | None = None) -> list[dict[str, Any]]:
    """The values a form offers: none retired, except the one the record holds (keeping)."""
    return [v for v in await values(store, name) if not v["retired"] or v["code"] == keeping]


def normalised(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Values in their order, each with an order and a retired flag.

    Lists seeded before values had either are read as ordered as stored and in use.
    """
    complete = [
        {
            "code": str(value["code"]),
            "label": str(value["label"]),
            "order": int(value.get("order", (n + 1) * ORDER_STEP)),
            "retired": bool(value.get("retired", False)),
        }
        for n, value in enumerate(stored)
    ]
    return sorted(complete, key=lambda v: v["order"])


def normalise(text: str) -> str:
    """A code or label as resolve compares them: "Parole-Review " is parole_review."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


async def resolve(
    store: Store,
    name: str,
    field: str,
    given: str,
    *,
    held: str | None = None,
    retired_ok: bool = False,
) -> str:
    """The code for given (a code or a label); InvalidInput listing the choices.

    A retired value is refused, for it is no longer to be used in new records,
    unless it is the one the record already holds (held) or the caller only
    matches existing records against it (retired_ok: a dossier template).
    """
    wanted = normalise(given)
    choices = await values(store, name)
    usable = [v for v in choices if not v["retired"] or retired_ok or v["code"] == held]
    codes = ", ".join(v["code"] for v in usable)
    for value in choices:
        if wanted not in (value["code"], normalise(value["label"])):
            continue
        if value in usable:
            return str(value["code"])
        raise InvalidInput.field(
            field, f"{value['code']!r} is retired from the list {name}; use one of: {codes}"
        )
    raise InvalidInput.field(field, f"{given!r} is not in the list {name}; use one of: {codes}")
