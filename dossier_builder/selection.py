"""A template applied to a case: the dossier request it proposes, for the caseworker to review.

Each of the case's documents that the caller may read goes into the first
section whose document types include its own, in its current version, in
the section's order. What fits no section is listed apart, so nothing is
left out without the caseworker seeing it. The proposal is in the form
`POST /cases/{id}/dossiers` takes, so it can be adjusted and sent back.
"""

from __future__ import annotations

from typing import Any

from dossier_builder.templates import get_template
from records import documents, vocabulary
from records.actors import Actor
from records.errors import InvalidInput
from records.policy import Action, document_filter, require
from records.store import Store


async def propose(
    store: Store,
    actor: Actor,
    case: dict[str, Any],
    template_name: str,
    *,
    review: bool = False,
    keep_empty: bool = False,
) -> dict[str, Any]:
    """The template applied to the case; for review, it can be sent back to build as it stands.

    keep_empty keeps the sections nothing went into, in their place, for an
    editor that lets documents be added to them.
    """
    # A proposal lists every document of the case: for those who may build dossiers.
    require(actor, Action.DOCUMENT_WRITE, case, what="case")
    template = await get_template(store, template_name)
    suits = template.get("case_types") or []
    if suits and case.get("case_type") not in suits:
        kinds = ", ".join(t.replace("_", " ") for t in suits)
        raise InvalidInput.field(
            "template", f"the {template['_id']} template is for {kinds} cases, not this one"
        )
    filed = [
        document
        async for document in store.db[documents.DOCUMENTS]
        .find({"case_id": case["_id"], "doc_type": {"$ne": "dossier"}, **document_filter(actor)})
        .sort("_id", 1)
    ]

    placed: set[str] = set()
    sections = []
    for section in template["sections"]:
        mine = [
            d
            for d in filed
            if d["doc_type"] in section["doc_types"] and str(d["_id"]) not in placed
        ]
        placed.update(str(d["_id"]) for d in mine)
        sections.append(
            {
                "title": section["title"],
                "divider": section.get("divider", False),
                "items": [_item(d) for d in _sorted(mine, section.get("sort", "filed"))],
            }
        )
    present = {d["doc_type"] for d in filed}
    required = await vocabulary.dossier_requirements(store, str(case.get("case_type", "")))
    awaited = [wanted for wanted in required if wanted["code"] not in present]
    options = dict(template.get("options", {}))
    if awaited and review:
        # The reviewer sees what is awaited; sent back as it stands, it gets its pages.
        options.setdefault("missing", "placeholder")
    return {
        "title": f"{template['title']}: {case.get('title', '')}".rstrip(": "),
        "template": template["_id"],
        # Sections nothing went into are named apart, not sent back as empty headings.
        "sections": [section for section in sections if section["items"] or keep_empty],
        "empty_sections": [section["title"] for section in sections if not section["items"]],
        "options": options,
        "unplaced": [_item(d) for d in filed if str(d["_id"]) not in placed],
        "awaited": awaited,
    }


def _sorted(found: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    if sort == "title":
        return sorted(found, key=lambda d: str(d["title"]).casefold())
    if sort in ("document_date", "document_date_desc"):
        dated = [d for d in found if d.get("document_date")]
        undated = [d for d in found if not d.get("document_date")]
        dated.sort(key=lambda d: str(d["document_date"]), reverse=sort == "document_date_desc")
        return dated + undated
    return found  # "filed": the order they came in


def _item(document: dict[str, Any]) -> dict[str, Any]:
    """What the request needs (id and version), with what a reviewer reads to check it."""
    return {
        "document_id": str(document["_id"]),
        "version": document["current_version"],
        "title": document["title"],
        "doc_type": document["doc_type"],
        "document_date": document.get("document_date") or None,
    }
