"""A dossier request checked at once, before a job exists: every problem named together.

Every item must be a document of this case the caller may read, in a version
that exists, of a kind that can be put into a PDF and sound enough to go in
(see preflight: a PDF opens without a password, a Word file is complete and
unprotected, an image can be read). The versions are pinned (number and SHA-256), so the job
builds exactly what was asked for even if a new version arrives meanwhile.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from dossier_builder import preflight
from dossier_builder.convert import convertible
from dossier_builder.options import parse_options
from dossier_builder.selection import propose
from records import documents, files, jobs, vocabulary
from records.actors import Actor
from records.errors import InvalidInput, NotFound
from records.policy import Action, require
from records.store import Store
from records.validation import Fields

KIND = "dossier"
MAX_SECTIONS = 50
MAX_ITEMS = 500
_ITEM_FIELDS = {"document_id", "version", "title", "doc_type", "document_date"}
# Files up to this size are checked when the dossier is asked for; larger ones by the build.
PRECHECK_BYTES = 64 * 1024 * 1024
# Verdicts of the byte checks, by (SHA-256, media type), the most recent kept.
MAX_VERDICTS = 4096
_VERDICTS: OrderedDict[tuple[str, str], str | None] = OrderedDict()


async def request_dossier(
    store: Store, actor: Actor, case: dict[str, Any], body: Any
) -> dict[str, Any]:
    """The queued job for a valid request; InvalidInput naming every problem otherwise."""
    payload = await check_request(store, actor, case, body)
    return await jobs.create_job(store, actor, KIND, case, payload)


async def check_request(
    store: Store, actor: Actor, case: dict[str, Any], body: Any
) -> dict[str, Any]:
    """The job's payload: the request checked, its versions pinned, its template applied."""
    require(actor, Action.DOCUMENT_WRITE, case, what="case")
    fields = Fields(body)
    # A proposal (GET .../dossier-selection) may be sent back as it stands.
    fields.unknown(
        {"title", "template", "sections", "options", "unplaced", "awaited", "empty_sections"}
    )
    proposal = await _proposal(store, actor, case, fields, body.get("template"))
    # A template that cannot be applied leaves nothing else worth checking.
    templated = body.get("template") is not None
    if templated and proposal is None:
        fields.check()
    title = fields.text("title", max_length=200, required=not templated)
    if title is None and proposal is not None:
        title = proposal["title"][:200]
    raw_options = body.get("options")
    if proposal is not None and isinstance(raw_options, dict | None):
        raw_options = {**proposal["options"], **(raw_options or {})}
    options = parse_options(fields, raw_options)
    raw_sections = body.get("sections")
    # Counted before any is checked: each check reads the database.
    if _item_count(raw_sections) > MAX_ITEMS:
        fields.fail("sections", f"may hold at most {MAX_ITEMS} documents in all")
        fields.check()
    if raw_sections is None and templated:
        assert proposal is not None
        raw_sections = proposal["sections"]
        if not raw_sections:
            fields.fail("template", "the case has no documents of the types the template names")
    elif not isinstance(raw_sections, list) or not raw_sections:
        fields.fail("sections", "must be a list of at least one section")
        raw_sections = []
    if len(raw_sections) > MAX_SECTIONS:
        fields.fail("sections", f"must have at most {MAX_SECTIONS} sections")
        raw_sections = []
    sections = [
        await _section(store, actor, case, fields, n, s) for n, s in enumerate(raw_sections)
    ]
    if sum(len(s["items"]) for s in sections) > MAX_ITEMS:
        fields.fail("sections", f"may hold at most {MAX_ITEMS} documents in all")
    awaited = await _awaited(store, case, sections)
    if awaited and options.get("missing") == "placeholder":
        sections.append({"title": "Documents awaited", "items": awaited, "divider": False})
    elif awaited:
        names = ", ".join(item["title"] for item in awaited)
        fields.fail(
            "sections",
            f"a {case['case_type'].replace('_', ' ')} dossier needs: {names}; file them, or "
            'ask for "document awaited" pages with options.missing = "placeholder"',
        )
    fields.check()

    payload = {"title": title, "sections": sections, "options": options}
    if proposal is not None:
        payload["template"] = proposal["template"]
    return payload


async def _proposal(
    store: Store, actor: Actor, case: dict[str, Any], fields: Fields, name: Any
) -> dict[str, Any] | None:
    if name is None:
        return None
    if not isinstance(name, str):
        fields.fail("template", "must be the name of a dossier template")
        return None
    try:
        return await propose(store, actor, case, name)
    except (NotFound, InvalidInput) as exc:
        fields.fail("template", exc.detail)
        return None


def _item_count(raw_sections: Any) -> int:
    if not isinstance(raw_sections, list):
        return 0
    return sum(
        len(s["items"])
        for s in raw_sections
        if isinstance(s, dict) and isinstance(s.get("items"), list)
    )


async def _awaited(
    store: Store, case: dict[str, Any], sections: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Placeholder items for the case type's mandatory document types not asked for."""
    present = {item["doc_type"] for section in sections for item in section["items"]}
    return [
        {"awaited": True, "title": wanted["label"], "doc_type": wanted["code"], "document_date": ""}
        for wanted in await vocabulary.dossier_requirements(store, str(case.get("case_type", "")))
        if wanted["code"] not in present
    ]


async def _section(
    store: Store, actor: Actor, case: dict[str, Any], fields: Fields, number: int, raw: Any
) -> dict[str, Any]:
    where = f"sections[{number}]"
    if not isinstance(raw, dict):
        fields.fail(where, "must be an object with a title and items")
        return {"title": "", "items": []}
    inner = Fields(raw)
    inner.unknown({"title", "items", "divider"})
    title = inner.text("title", max_length=200) or ""
    for problem in inner.problems:
        fields.fail(f"{where}.{problem.field}", problem.message)
    raw_items = raw.get("items")
    if not isinstance(raw_items, list):
        fields.fail(f"{where}.items", "must be a list")
        raw_items = []
    items = []
    for n, item in enumerate(raw_items):
        pinned = await _item(store, actor, case, fields, f"{where}.items[{n}]", item)
        if pinned is not None:
            items.append(pinned)
    divider = raw.get("divider", False)
    if not isinstance(divider, bool):
        fields.fail(f"{where}.divider", "must be true or false")
    return {"title": title, "items": items, "divider": bool(divider)}


async def _item(
    store: Store, actor: Actor, case: dict[str, Any], fields: Fields, where: str, raw: Any
) -> dict[str, Any] | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("document_id"), str):
        fields.fail(where, "must be an object with a document_id")
        return None
    document_id = raw["document_id"]
    # What a proposal shows the reviewer may come back with the item; nothing else.
    for name in sorted(set(raw) - _ITEM_FIELDS):
        fields.fail(f"{where}.{name}", "is not a field of a dossier item")
    try:
        document, _ = await documents.load(store, actor, document_id, Action.DOCUMENT_READ)
    except (NotFound, InvalidInput):
        fields.fail(where, f"there is no document {document_id[:40]!r} in this case")
        return None
    if document["case_id"] != case["_id"]:
        fields.fail(where, f"document {document_id} belongs to another case")
        return None
    number = raw.get("version")
    if number is None:
        number = document["current_version"]
    elif isinstance(number, bool) or not isinstance(number, int) or number < 1:
        fields.fail(f"{where}.version", "must be a whole number from 1 (or left out: the current)")
        return None
    version = next((v for v in document["versions"] if v["number"] == number), None)
    if version is None:
        fields.fail(where, f"document {document['title']!r} has no version {number}")
        return None
    reason = await _problem(store, version)
    if reason is not None:
        fields.fail(where, f"{document['title']!r} ({version['filename']}) cannot go in: {reason}")
        return None
    return {
        "document_id": str(document["_id"]),
        "version": number,
        "sha256": version["sha256"],
        "title": document["title"],
        "doc_type": document["doc_type"],
        "document_date": document.get("document_date") or "",
        "media_type": version["media_type"],
        "filename": version["filename"],
    }


async def _problem(store: Store, version: dict[str, Any]) -> str | None:
    """Why this version cannot go into a dossier, or None; checked on its bytes when small."""
    media_type = version["media_type"]
    refused = preflight.refusal(media_type)
    if refused is not None:
        return refused
    if not convertible(media_type, version["filename"]):
        return f"{media_type} files cannot be put into a dossier"
    if int(version["size"]) > PRECHECK_BYTES:
        return None
    # The verdict depends on the bytes alone, so it is kept by their SHA-256: the
    # dossier editor asks again on every change, and need not read every file again.
    key = (version["sha256"], media_type)
    if key in _VERDICTS:
        _VERDICTS.move_to_end(key)
        return _VERDICTS[key]
    with tempfile.TemporaryDirectory(prefix="ppud-dossier-check-") as folder:
        path = Path(folder) / "source"
        with path.open("wb") as out:
            await files.copy_version(store, version, out)
        verdict = await asyncio.to_thread(preflight.problem, path, media_type)
    _VERDICTS[key] = verdict
    if len(_VERDICTS) > MAX_VERDICTS:
        _VERDICTS.popitem(last=False)
    return verdict
