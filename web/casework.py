"""What the casework pages share: dates typed in three boxes, labels, sizes, names."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from records import vocabulary
from records.errors import InvalidInput
from records.store import Store
from web.forms import FormErrors, field_sentence, sentence
from web.session import CSRF_FIELD, CsrfRefused

# How a records field's problem reads on a page, where the API's wording would not.
FIELD_LABELS = {
    "title": "Title",
    "doc_type": "Document type",
    "document_date": "Document date",
    "protective_marking": "Protective marking",
    "handling_instruction": "Handling instruction",
    "folder_id": "Folder",
    "file": "File",
    "comment": "Comment",
}


def date_parts(values: dict[str, str], name: str) -> tuple[str, str, str]:
    return (
        values.get(f"{name}-day", "").strip(),
        values.get(f"{name}-month", "").strip(),
        values.get(f"{name}-year", "").strip(),
    )


def read_date(
    values: dict[str, str], name: str, errors: FormErrors, *, label: str, required: bool = False
) -> str | None:
    """A GOV.UK date input (day, month, year boxes) as YYYY-MM-DD; None when left empty."""
    day, month, year = date_parts(values, name)
    if not (day or month or year):
        if required:
            errors.add(f"{name}-day", f"Enter the {label.lower()}")
        return None
    missing = [
        part for part, value in (("day", day), ("month", month), ("year", year)) if not value
    ]
    if missing:
        errors.add(f"{name}-{missing[0]}", f"{label} must include a {missing[0]}")
        return None
    if not (day.isascii() and month.isascii() and year.isascii()) or not (
        day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4
    ):
        errors.add(f"{name}-day", f"{label} must be a real date")
        return None
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        errors.add(f"{name}-day", f"{label} must be a real date")
        return None


def split_date(iso: str | None) -> dict[str, str]:
    """A stored YYYY-MM-DD as the three boxes' values."""
    if not iso:
        return {"day": "", "month": "", "year": ""}
    found = date.fromisoformat(iso)
    return {"day": str(found.day), "month": str(found.month), "year": str(found.year)}


def add_problems(
    errors: FormErrors,
    exc: InvalidInput,
    *,
    ids: dict[str, str],
    labels: dict[str, str] | None = None,
) -> None:
    """A records InvalidInput as page errors; ids maps a records field to its input's id.

    labels names a field as the page's form does, where FIELD_LABELS would not.
    """
    named = FIELD_LABELS | (labels or {})
    problems = exc.errors or []
    if not problems:
        errors.add(next(iter(ids.values())), sentence(exc.detail))
    for problem in problems:
        label = named.get(problem.field, problem.field.replace("_", " ").capitalize())
        target = ids.get(problem.field, next(iter(ids.values())))
        errors.add(target, field_sentence(label, problem.message))


def check_token(fields: dict[str, str] | FormData, expected: str) -> None:
    """The CSRF token of a form read without web.session.read_form (a multipart upload)."""
    sent = fields.get(CSRF_FIELD)
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise CsrfRefused


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


async def document_types(store: Store) -> list[dict[str, Any]]:
    """Every document type, retired ones too: for the labels of records that hold them."""
    return await vocabulary.values(store, "document_types")


async def offered_document_types(
    store: Store, *, keeping: str | None = None
) -> list[tuple[str, str]]:
    """The document types a form offers: none retired, but the one the document holds."""
    offered = await vocabulary.offered(store, "document_types", keeping=keeping)
    return [(v["code"], v["label"]) for v in offered]


def label_of(options: list[dict[str, Any]], code: str) -> str:
    return next((o["label"] for o in options if o["code"] == code), code.replace("_", " "))


def person_name(offender: dict[str, Any] | None) -> str:
    if not offender:
        return ""
    return f"{offender['family_name'].upper()}, {offender['given_names']}"


def file_size(size: int) -> str:
    """A size as people read one: 812 bytes, 14 KB, 2.3 MB."""
    if size < 1000:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB"):
        value /= 1000
        if value < 1000:
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    value /= 1000
    return f"{value:.1f} GB"


def marking_colour(marking: str) -> str:
    return "red" if marking == "OFFICIAL-SENSITIVE" else "grey"
