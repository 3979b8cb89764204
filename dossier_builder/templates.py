"""Dossier templates: the sections a dossier has, which document types go in each, and how.

Templates are data an administrator edits, not code: the Parole Board's
dossier layout and a recall team's change more often than we release. Two
ship with the service and are inserted once; an administrator's edits are
kept. A template is retired rather than deleted, so a dossier's manifest can
still name the template it was built from, and so a retired default does not
come back at the next start.
"""

from __future__ import annotations

import re
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from dossier_builder.options import DEFAULTS, parse_options
from records import audit, vocabulary
from records.actors import Actor
from records.errors import InvalidInput, NotFound, StaleRevision
from records.policy import Action, require
from records.store import Store, iso
from records.validation import Fields

TEMPLATES = "dossier_templates"
MAX_SECTIONS = 50
SORTS = {
    "document_date": "oldest first by document date, undated last",
    "document_date_desc": "newest first by document date, undated last",
    "title": "by title",
    "filed": "in the order they were filed",
}
_READ_ONLY = {"name", "revision", "retired", "updated_at", "updated_by"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,59}$")

# As the Parole Board's dossiers are laid out today (PPUD's "parole review"
# and "recall" dossier types); the recall template holds every document type
# a recall dossier must have, so it never asks for one it has no place for.
DEFAULT_TEMPLATES: dict[str, dict[str, Any]] = {
    "parole_review": {
        "title": "Parole review dossier",
        "case_types": ["parole_review"],
        "sections": [
            {
                "title": "Part A: information about the prisoner",
                "doc_types": [
                    "previous_convictions",
                    "pre_sentence_report",
                    "charge_sheet",
                    "police_report",
                    "licence",
                ],
                "sort": "document_date",
                "divider": True,
            },
            {
                "title": "Part B: reports",
                "doc_types": [
                    "oasys_assessment",
                    "psychiatric_report",
                    "part_a_recall_report",
                    "representations",
                    "correspondence",
                ],
                "sort": "document_date",
                "divider": True,
            },
        ],
        "options": {"cover": True, "index": True, "number_front_matter": False},
    },
    "recall": {
        "title": "Recall dossier",
        "case_types": ["recall"],
        "sections": [
            {"title": "Licence", "doc_types": ["licence"], "sort": "document_date"},
            {
                "title": "Part A recall report",
                "doc_types": ["part_a_recall_report"],
                "sort": "document_date",
            },
            {"title": "Revocation order", "doc_types": ["revocation_order"], "sort": "filed"},
            {
                "title": "Reasons for recall",
                "doc_types": ["reasons_for_recall"],
                "sort": "document_date",
            },
            {
                "title": "Supporting documents",
                "doc_types": [
                    "previous_convictions",
                    "pre_sentence_report",
                    "oasys_assessment",
                    "charge_sheet",
                    "police_report",
                ],
                "sort": "document_date",
            },
        ],
        "options": {"cover": False, "index": True, "number_front_matter": False},
    },
}


async def seed(store: Store) -> None:
    """Insert the shipped templates once; an administrator's edits and retirements are kept."""
    now = store.now()
    for name, template in DEFAULT_TEMPLATES.items():
        sections = [{"divider": False, **section} for section in template["sections"]]
        await store.db[TEMPLATES].update_one(
            {"_id": name},
            {
                "$setOnInsert": {
                    **template,
                    "sections": sections,
                    "retired": False,
                    "revision": 1,
                    "updated_at": now,
                    "updated_by": "system",
                }
            },
            upsert=True,
        )


async def list_templates(store: Store, *, retired: bool = False) -> list[dict[str, Any]]:
    query: dict[str, Any] = {} if retired else {"retired": False}
    return [t async for t in store.db[TEMPLATES].find(query).sort("_id", 1)]


async def get_template(store: Store, name: str) -> dict[str, Any]:
    """A template in use, or NotFound naming the ones there are."""
    found = await store.db[TEMPLATES].find_one({"_id": name, "retired": False})
    if found is not None:
        return found
    names = ", ".join(t["_id"] for t in await list_templates(store)) or "none"
    raise NotFound(f"there is no dossier template {name[:60]!r}; the templates are: {names}")


async def put_template(
    store: Store, actor: Actor, name: str, body: Any, *, expected_revision: int | None
) -> dict[str, Any]:
    """Create or replace a template; with expected_revision, only over that revision."""
    require(actor, Action.DOSSIER_SETUP)
    if not _NAME.match(name):
        raise InvalidInput.field(
            "name",
            "must be 1 to 60 lower-case letters, digits or underscores, starting with a letter "
            "or digit, as in recall_2026",
        )
    template = await _checked(store, body)
    if (
        expected_revision is not None
        and await store.db[TEMPLATES].count_documents({"_id": name}) == 0
    ):
        raise NotFound(f"there is no dossier template {name!r} to replace; PUT it without If-Match")

    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        query: dict[str, Any] = {"_id": name}
        if expected_revision is not None:
            query["revision"] = expected_revision
        saved = await store.db[TEMPLATES].find_one_and_update(
            query,
            {
                "$set": {
                    **template,
                    "retired": False,
                    "updated_at": store.now(),
                    "updated_by": actor.username,
                },
                "$inc": {"revision": 1},
            },
            upsert=expected_revision is None,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if saved is None:
            raise StaleRevision(
                f"the template has changed since revision {expected_revision}; "
                "fetch it again and reapply your change"
            )
        await audit.record(
            store,
            actor,
            "dossier_template.update",
            f"dossier_template:{name}",
            detail={"revision": saved["revision"]},
            session=session,
        )
        return saved

    return await store.transaction(apply)


async def retire_template(
    store: Store, actor: Actor, name: str, *, expected_revision: int | None = None
) -> None:
    require(actor, Action.DOSSIER_SETUP)
    await get_template(store, name)

    async def apply(session: AsyncClientSession) -> None:
        query: dict[str, Any] = {"_id": name, "retired": False}
        if expected_revision is not None:
            query["revision"] = expected_revision
        retired = await store.db[TEMPLATES].update_one(
            query,
            {
                "$set": {"retired": True, "updated_at": store.now(), "updated_by": actor.username},
                "$inc": {"revision": 1},
            },
            session=session,
        )
        if retired.matched_count == 0:
            raise StaleRevision(
                f"the template has changed since revision {expected_revision}; fetch it again"
            )
        await audit.record(
            store, actor, "dossier_template.retire", f"dossier_template:{name}", session=session
        )

    await store.transaction(apply)


def template_view(template: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": template["_id"],
        "title": template["title"],
        "case_types": template.get("case_types", []),
        "sections": template["sections"],
        "options": template.get("options", {}),
        "revision": template["revision"],
        "retired": template.get("retired", False),
        "updated_at": iso(template["updated_at"]),
        "updated_by": template.get("updated_by", ""),
    }


async def _checked(store: Store, body: Any) -> dict[str, Any]:
    """The template's stored form; InvalidInput naming every problem at once."""
    fields = Fields(body)
    # What GET answers may be PUT back as it stands: its read-only fields are ignored.
    fields.unknown({"title", "case_types", "sections", "options", *_READ_ONLY})
    title = fields.text("title", max_length=200)
    case_types = _unique(
        [
            code
            for n, given in enumerate(fields.text_list("case_types", max_items=20))
            if (code := await _code(store, fields, "case_types", f"case_types[{n}]", given))
        ]
    )
    raw_sections = body.get("sections")
    sections: list[dict[str, Any]] = []
    if not isinstance(raw_sections, list) or not 1 <= len(raw_sections) <= MAX_SECTIONS:
        fields.fail("sections", f"must be a list of 1 to {MAX_SECTIONS} sections")
    else:
        for n, raw in enumerate(raw_sections):
            sections.append(await _section(store, fields, f"sections[{n}]", raw))

    # Stored as given, so a request's own options still win over them.
    raw_options = body.get("options") or {}
    chosen = parse_options(fields, raw_options)
    options = {
        name: chosen[name]
        for name in DEFAULTS
        if isinstance(raw_options, dict) and name in raw_options
    }
    fields.check()
    return {"title": title, "case_types": case_types, "sections": sections, "options": options}


async def _section(store: Store, fields: Fields, where: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        fields.fail(where, "must be an object with a title and doc_types")
        return {}
    inner = Fields(raw)
    inner.unknown({"title", "doc_types", "sort", "divider"})
    title = inner.text("title", max_length=200)
    given = inner.text_list("doc_types", max_items=50)
    for problem in inner.problems:
        fields.fail(f"{where}.{problem.field}", problem.message)
    if not given:
        fields.fail(f"{where}.doc_types", "must name at least one document type")
    doc_types = _unique(
        [
            code
            for n, one in enumerate(given)
            if (
                code := await _code(store, fields, "document_types", f"{where}.doc_types[{n}]", one)
            )
        ]
    )
    sort = raw.get("sort", "document_date")
    if sort not in SORTS:
        fields.fail(f"{where}.sort", f"must be one of: {', '.join(SORTS)}")
    divider = raw.get("divider", False)
    if not isinstance(divider, bool):
        fields.fail(f"{where}.divider", "must be true or false")
    return {"title": title, "doc_types": doc_types, "sort": sort, "divider": bool(divider)}


async def _code(store: Store, fields: Fields, vocabulary_name: str, where: str, given: str) -> str:
    try:
        # A retired type may stay in a template: its documents still belong in dossiers.
        return await vocabulary.resolve(store, vocabulary_name, where, given, retired_ok=True)
    except InvalidInput as exc:
        for problem in exc.errors:
            fields.fail(problem.field, problem.message)
        return ""


def _unique(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))
