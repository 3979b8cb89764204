"""A dossier being put together on a page: its sections and entries, carried in the form.

The draft travels in a hidden field as JSON, so every button (Up, Down,
Remove, Add) works as a plain form POST without JavaScript; the server
re-renders the page from it each time. It is only ever a proposal: what is
built is what dossier_builder.request.check_request accepts of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from records.errors import MalformedInput

MAX_DRAFT_CHARS = 60_000
MAX_SECTIONS = 50
MAX_ITEMS = 500


@dataclass
class Draft:
    sections: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"sections": self.sections}, separators=(",", ":"))

    def placed(self) -> set[str]:
        return {item["document_id"] for s in self.sections for item in s["items"]}

    def request_sections(self) -> list[dict[str, Any]]:
        """The sections as a dossier request names them: ids and versions only.

        Empty sections stay in the draft, for documents to be added to, but not
        in the request, as a template's empty sections are left out of it.
        """
        return [
            {
                "title": s["title"],
                "divider": s["divider"],
                # No version: the document's current one, pinned by the request's check.
                "items": [
                    {"document_id": i["document_id"]}
                    | ({"version": i["version"]} if i["version"] is not None else {})
                    for i in s["items"]
                ],
            }
            for s in self.sections
            if s["items"]
        ]


def from_proposal(proposal: dict[str, Any]) -> Draft:
    """A template's proposal, with its empty sections kept so documents can be added to them."""
    return read({"sections": proposal["sections"]})


def parse(raw: str) -> Draft:
    """The draft the page sent back; MalformedInput when it is not one this page wrote."""
    if len(raw) > MAX_DRAFT_CHARS:
        raise MalformedInput("the dossier draft is too long")
    try:
        loaded = json.loads(raw)
    except ValueError as exc:
        raise MalformedInput("the dossier draft could not be read") from exc
    return read(loaded)


def read(loaded: Any) -> Draft:
    if not isinstance(loaded, dict) or not isinstance(loaded.get("sections"), list):
        raise MalformedInput("the dossier draft has no sections")
    sections = loaded["sections"]
    if len(sections) > MAX_SECTIONS:
        raise MalformedInput(f"a dossier has at most {MAX_SECTIONS} sections")
    draft = Draft([_section(s) for s in sections])
    if sum(len(s["items"]) for s in draft.sections) > MAX_ITEMS:
        raise MalformedInput(f"a dossier holds at most {MAX_ITEMS} documents")
    return draft


def _section(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise MalformedInput("a section of the dossier draft is not one this page wrote")
    return {
        "title": str(raw.get("title") or "")[:200],
        "divider": raw.get("divider") is True,
        "items": [_item(i) for i in raw["items"]],
    }


def _item(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("document_id"), str):
        raise MalformedInput("an entry of the dossier draft is not one this page wrote")
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int | None):
        raise MalformedInput("an entry of the dossier draft has a version that is not a number")
    return {"document_id": raw["document_id"][:40], "version": version}


def apply(draft: Draft, action: str, choices: dict[str, str]) -> None:
    """One button's change: ``up:S:I``, ``down:S:I``, ``remove:S:I``, ``add:S``, ``add-section``.

    choices holds the page's other fields (the document picked for each section,
    a new section's title). A button for an entry that is no longer there does nothing.
    """
    verb, _, where = action.partition(":")
    if verb == "add-section":
        title = choices.get("new-section", "").strip()[:200] or "Documents"
        draft.sections.append({"title": title, "divider": False, "items": []})
        return
    numbers = [int(n) for n in where.split(":") if n.isascii() and n.isdigit()]
    if not numbers or numbers[0] >= len(draft.sections):
        return
    items = draft.sections[numbers[0]]["items"]
    if verb == "add":
        _add(draft, items, choices.get(f"add-{numbers[0]}", ""))
    elif verb == "remove-section" and not items:
        del draft.sections[numbers[0]]
    elif len(numbers) == 2 and numbers[1] < len(items):
        _move(items, numbers[1], verb)


def _add(draft: Draft, items: list[dict[str, Any]], document_id: str) -> None:
    if document_id and document_id not in draft.placed() and len(document_id) <= 40:
        items.append({"document_id": document_id, "version": None})


def _move(items: list[dict[str, Any]], at: int, verb: str) -> None:
    if verb == "remove":
        del items[at]
    elif verb == "up" and at > 0:
        items[at - 1], items[at] = items[at], items[at - 1]
    elif verb == "down" and at < len(items) - 1:
        items[at + 1], items[at] = items[at], items[at + 1]
