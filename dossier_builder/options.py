"""A dossier's options, as a request or a template gives them: checked, with their defaults.

Templates hold options in the same form as requests, and a request's own
options win over its template's, so both pass through one check.
"""

from __future__ import annotations

import string
from typing import Any

from dossier_builder.bundle import DEFAULT_LABEL
from records.validation import Fields

DEFAULTS: dict[str, Any] = {
    "missing": "refuse",
    "cover": True,
    "index": True,
    "number_front_matter": False,
    "marking": None,
    "page_label": DEFAULT_LABEL,
    "start_page": 1,
}
_SWITCHES = ("cover", "index", "number_front_matter")
MAX_START_PAGE = 100_000


def parse_options(fields: Fields, raw: Any, *, where: str = "options") -> dict[str, Any]:
    """Every option with its value or default; problems are added to fields."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        fields.fail(where, "must be an object")
        return dict(DEFAULTS)
    for name in sorted(set(raw) - set(DEFAULTS)):
        fields.fail(
            f"{where}.{name}", f"is not an option; the options are {', '.join(sorted(DEFAULTS))}"
        )
    chosen = dict(DEFAULTS)

    for name in _SWITCHES:
        if name in raw and isinstance(raw[name], bool):
            chosen[name] = raw[name]
        elif name in raw:
            fields.fail(f"{where}.{name}", "must be true or false")

    inner = Fields(raw)
    if raw.get("marking") is not None:
        chosen["marking"] = _printable(fields, inner, where, "marking")
    if raw.get("page_label") is not None:
        label = _printable(fields, inner, where, "page_label")
        if label is not None and not _label_ok(label):
            fields.fail(
                f"{where}.page_label",
                "may use only {page} and {pages}, as in Page {page} of {pages}",
            )
        chosen["page_label"] = label
    for problem in inner.problems:
        fields.fail(f"{where}.{problem.field}", problem.message)

    if "missing" in raw:
        if raw["missing"] in ("refuse", "placeholder"):
            chosen["missing"] = raw["missing"]
        else:
            fields.fail(f"{where}.missing", "must be refuse or placeholder")
    if "start_page" in raw:
        start = raw["start_page"]
        if (
            isinstance(start, bool)
            or not isinstance(start, int)
            or not 1 <= start <= MAX_START_PAGE
        ):
            fields.fail(f"{where}.start_page", f"must be a whole number from 1 to {MAX_START_PAGE}")
        else:
            chosen["start_page"] = start
    return chosen


def _printable(fields: Fields, inner: Fields, where: str, name: str) -> str | None:
    """Stamped text: it is written in a standard PDF font, whose letters are Windows-1252's."""
    value = inner.text(name, max_length=80)
    if value is None:
        return None
    outside = sorted({c for c in value if not _stampable(c)})
    if outside:
        fields.fail(
            f"{where}.{name}",
            f"is printed on every page in a font without {''.join(outside[:10])!r}; "
            "use Latin letters, digits and punctuation",
        )
    return value


def _stampable(character: str) -> bool:
    try:
        character.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _label_ok(label: str) -> bool:
    """Only {page} and {pages}: a format string is code, and the user wrote this one."""
    try:
        parts = list(string.Formatter().parse(label))
    except ValueError:
        return False
    return all(
        name in (None, "page", "pages") and not spec and not conv for _, name, spec, conv in parts
    )
