"""A dossier request checked at once, before a job exists: every problem named together.

Every item must be a document of this case the caller may read, in a version
that exists, of a kind that can be put into a PDF, and a PDF must open
without a password. The versions are pinned (number and SHA-256), so the job
builds exactly what was asked for even if a new version arrives meanwhile.
"""

from __future__ import annotations

import asyncio
import string
import tempfile
from pathlib import Path
from typing import Any

import pikepdf

from dossier_builder.bundle import DEFAULT_LABEL
from dossier_builder.convert import convertible
from records import documents, files, jobs, vocabulary
from records.actors import Actor
from records.errors import InvalidInput, NotFound
from records.policy import Action, require
from records.store import Store
from records.validation import Fields

KIND = "dossier"
MAX_SECTIONS = 50
MAX_ITEMS = 500
# Opened at request time to find a password; larger PDFs are checked by the build.
PASSWORD_CHECK_BYTES = 64 * 1024 * 1024


async def request_dossier(
    store: Store, actor: Actor, case: dict[str, Any], body: Any
) -> dict[str, Any]:
    """The queued job for a valid request; InvalidInput naming every problem otherwise."""
    require(actor, Action.DOCUMENT_WRITE, case, what="case")
    fields = Fields(body)
    fields.unknown({"title", "sections", "options"})
    title = fields.text("title", max_length=200)
    options = _options(fields, body.get("options"))
    raw_sections = body.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        fields.fail("sections", "must be a list of at least one section")
        raw_sections = []
    elif len(raw_sections) > MAX_SECTIONS:
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
    return await jobs.create_job(store, actor, KIND, case, payload)


def _options(fields: Fields, raw: Any) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        fields.fail("options", "must be an object")
        return {}
    known = {"cover", "marking", "page_label", "start_page", "missing"}
    for name in sorted(set(raw) - known):
        fields.fail(
            f"options.{name}", f"is not an option; the options are {', '.join(sorted(known))}"
        )
    chosen: dict[str, Any] = {
        "missing": "refuse",
        "cover": True,
        "marking": None,
        "page_label": DEFAULT_LABEL,
        "start_page": 1,
    }
    if "cover" in raw:
        if isinstance(raw["cover"], bool):
            chosen["cover"] = raw["cover"]
        else:
            fields.fail("options.cover", "must be true or false")
    inner = Fields(raw)
    if raw.get("marking") is not None:
        chosen["marking"] = inner.text("marking", max_length=80)
    if raw.get("page_label") is not None:
        label = inner.text("page_label", max_length=80)
        if label is not None and not _label_ok(label):
            fields.fail(
                "options.page_label",
                "may use only {page} and {pages}, as in Page {page} of {pages}",
            )
        chosen["page_label"] = label
    for problem in inner.problems:
        fields.fail(f"options.{problem.field}", problem.message)
    if "missing" in raw:
        if raw["missing"] in ("refuse", "placeholder"):
            chosen["missing"] = raw["missing"]
        else:
            fields.fail("options.missing", "must be refuse or placeholder")
    if "start_page" in raw:
        start = raw["start_page"]
        if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start <= 100_000:
            fields.fail("options.start_page", "must be a whole number from 1 to 100000")
        else:
            chosen["start_page"] = start
    return chosen


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


def _label_ok(label: str) -> bool:
    """Only {page} and {pages}: a format string is code, and the user wrote this one."""
    try:
        parts = list(string.Formatter().parse(label))
    except ValueError:
        return False
    return all(
        name in (None, "page", "pages") and not spec and not conv for _, name, spec, conv in parts
    )


async def _section(
    store: Store, actor: Actor, case: dict[str, Any], fields: Fields, number: int, raw: Any
) -> dict[str, Any]:
    where = f"sections[{number}]"
    if not isinstance(raw, dict):
        fields.fail(where, "must be an object with a title and items")
        return {"title": "", "items": []}
    inner = Fields(raw)
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
    try:
        document, _ = await documents.load(store, actor, document_id, Action.DOCUMENT_READ)
    except (NotFound, InvalidInput):
        fields.fail(where, f"there is no document {document_id[:40]!r} in this case")
        return None
    if document["case_id"] != case["_id"]:
        fields.fail(where, f"document {document_id} belongs to another case")
        return None
    number = raw.get("version", document["current_version"])
    version = next((v for v in document["versions"] if v["number"] == number), None)
    if version is None or isinstance(number, bool):
        fields.fail(where, f"document {document['title']!r} has no version {number!r}")
        return None
    if not convertible(version["media_type"], version["filename"]):
        fields.fail(
            where,
            f"{document['title']!r} ({version['filename']}) is a {version['media_type']} file, "
            "which cannot be put into a dossier yet",
        )
        return None
    if version["media_type"] == "application/pdf" and await _needs_password(store, version):
        fields.fail(where, f"{document['title']!r} is a PDF that needs a password to open")
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


async def _needs_password(store: Store, version: dict[str, Any]) -> bool:
    if int(version["size"]) > PASSWORD_CHECK_BYTES:
        return False
    with tempfile.TemporaryDirectory(prefix="ppud-dossier-check-") as folder:
        path = Path(folder) / "source.pdf"
        with path.open("wb") as out:
            await files.copy_version(store, version, out)
        return await asyncio.to_thread(_locked, path)


def _locked(path: Path) -> bool:
    try:
        pikepdf.open(path).close()
    except pikepdf.PasswordError:
        return True
    except pikepdf.PdfError:
        return False  # unreadable for another reason: the build says which
    return False
