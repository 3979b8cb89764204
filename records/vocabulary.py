"""Administrator-editable lists of values: case types and document types.

Codes are stable snake_case identifiers; clients may also send the label or
a spelling of the code with spaces or hyphens, which is normalised here.
"""

from __future__ import annotations

import re
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit
from records.actors import Actor
from records.errors import InvalidInput
from records.policy import Action, require
from records.store import Store
from records.validation import Fields

LISTS = "lists"

DEFAULT_CASE_TYPES = {
    "recall": "Recall",
    "parole_review": "Parole review",
    "mental_health": "Restricted patient (mental health)",
}

DEFAULT_DOCUMENT_TYPES = {
    "part_a_recall_report": "Part A recall report",
    "licence": "Licence",
    "oasys_assessment": "OASys assessment",
    "pre_sentence_report": "Pre-sentence report",
    "previous_convictions": "Previous convictions",
    "charge_sheet": "Charge sheet",
    "police_report": "Police report",
    "psychiatric_report": "Psychiatric report",
    "representations": "Representations",
    "decision_letter": "Decision letter",
    "revocation_order": "Revocation order",
    "reasons_for_recall": "Reasons for recall",
    "correspondence": "Correspondence",
    "dossier": "Dossier",
    "other": "Other",
}

_DEFAULTS = {"case_types": DEFAULT_CASE_TYPES, "document_types": DEFAULT_DOCUMENT_TYPES}

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
    """Insert the default lists once; an administrator's edits are kept."""
    for name, values in _DEFAULTS.items():
        await store.db[LISTS].update_one(
            {"_id": name},
            {"$setOnInsert": {"values": [{"code": c, "label": lbl} for c, lbl in values.items()]}},
            upsert=True,
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


async def values(store: Store, name: str) -> list[dict[str, Any]]:
    found = await store.db[LISTS].find_one({"_id": name})
    return list(found["values"]) if found else []


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


async def resolve(store: Store, name: str, field: str, given: str) -> str:
    """The code for given (a code or a label); InvalidInput listing the choices."""
    wanted = _normalise(given)
    choices = await values(store, name)
    for value in choices:
        if wanted in (value["code"], _normalise(value["label"])):
            return str(value["code"])
    codes = ", ".join(v["code"] for v in choices)
    raise InvalidInput.field(field, f"{given!r} is not in the list; use one of: {codes}")
