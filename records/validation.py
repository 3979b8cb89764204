"""Small checks on client input shared by the record modules."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from records.errors import FieldProblem, InvalidInput, MalformedInput

# Deep enough for any real metadata, shallow enough that nothing recurses far.
MAX_DEPTH = 32
# BSON stores whole numbers as signed 64-bit integers at most.
_INT64 = 2**63
# Dates a record can plausibly carry; the search index holds 1678 to 2261 at most.
FIRST_DATE, LAST_DATE = date(1800, 1, 1), date(2199, 12, 31)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
# What spreadsheet_safe quotes: a formula's first character (OWASP), and the quote itself.
_QUOTED_START = ("=", "+", "-", "@", "\t", "\r", "'")


class Fields:
    """Collects every problem in one input so the client hears them all at once."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise InvalidInput("the request body must be a JSON object")
        self.data: dict[str, Any] = data
        self.problems: list[FieldProblem] = []

    def fail(self, field: str, message: str) -> None:
        self.problems.append(FieldProblem(field, message))

    def text(
        self,
        field: str,
        *,
        required: bool = True,
        max_length: int = 500,
        strip: bool = True,
        multiline: bool = False,
    ) -> str | None:
        """A string field, NFC-normalised; strip=False keeps it exactly as sent (passwords).

        Normalised so that "Café" typed on two keyboards is one folder name and
        one search term, not two that look alike. multiline=True admits line
        breaks and tabs (a note, an address), every line break stored as a line feed.
        """
        value = self.data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "is required")
            return None
        if not isinstance(value, str):
            self.fail(field, "must be a string")
            return None
        if strip:
            value = unicodedata.normalize("NFC", value.strip())
        if multiline:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        layout = value.replace("\n", "").replace("\t", "") if multiline else value
        if len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters")
        elif has_control_characters(layout):
            self.fail(field, "must not contain control characters")
        return value

    def date(
        self,
        field: str,
        *,
        required: bool = False,
        earliest: date = FIRST_DATE,
        latest: date = LAST_DATE,
    ) -> str | None:
        value = self.text(field, required=required, max_length=10)
        if value is None:
            return None
        # fromisoformat alone also takes 19900101 and week dates such as 2026-W01-1.
        try:
            if not _ISO_DATE.match(value):
                raise ValueError(value)
            found = date.fromisoformat(value)
        except ValueError:
            self.fail(field, "must be a real date written YYYY-MM-DD")
            return None
        if not earliest <= found <= latest:
            self.fail(field, f"must lie between {earliest.isoformat()} and {latest.isoformat()}")
            return None
        return found.isoformat()

    def boolean(self, field: str, *, default: bool | None = False) -> bool | None:
        """true or false; absent gives default (None: "not asked to change")."""
        value = self.data.get(field, default)
        if value is not None and not isinstance(value, bool):
            self.fail(field, "must be true or false")
            return default
        return value

    def text_list(self, field: str, *, max_items: int = 50, max_length: int = 200) -> list[str]:
        value = self.data.get(field)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(field, "must be a list of strings")
            return []
        if len(value) > max_items:
            self.fail(field, f"must have at most {max_items} entries")
        items = [unicodedata.normalize("NFC", v.strip()) for v in value if v.strip()]
        if any(len(item) > max_length for item in items):
            self.fail(field, f"must have entries of at most {max_length} characters each")
        elif any(has_control_characters(item) for item in items):
            self.fail(field, "must not contain control characters in any entry")
        return items

    def unknown(self, allowed: set[str]) -> None:
        for field in sorted(set(self.data) - allowed):
            self.fail(field, "is not a field of this record")

    def check(self) -> None:
        if self.problems:
            summary = "; ".join(f"{p.field}: {p.message}" for p in self.problems)
            raise InvalidInput(f"the request has invalid fields: {summary}", self.problems)


# Bidirectional overrides can make "report\u202egpj.exe" display as "report.exe.jpg".
_BIDI_OVERRIDES = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" or ch in _BIDI_OVERRIDES for ch in text)


def parse_json(raw: str | bytes, *, what: str) -> Any:
    """Strict JSON: UTF-8, no repeated keys, and only values the records can keep.

    Python's json module accepts NaN, Infinity, numbers of any size, repeated
    keys (the last wins) and UTF-16; each of those either fails later, deep
    in BSON or in the JSON reply, or silently means something else.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        # RFC 8259 section 8.1: a parser may ignore a byte order mark.
        value = json.loads(text.removeprefix("\ufeff"), object_pairs_hook=_unique_keys)
    except UnicodeDecodeError as exc:
        raise MalformedInput(f"{what} is not UTF-8") from exc
    except RecursionError as exc:
        raise MalformedInput(f"{what} is nested more than {MAX_DEPTH} levels deep") from exc
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise MalformedInput(f"{what} is not valid JSON: {exc.msg.lower()} at {where}") from exc
    except _RepeatedKey as exc:
        raise MalformedInput(f"{what} is not valid JSON: {exc}") from exc
    except ValueError as exc:  # int() refusing a number of thousands of digits
        raise MalformedInput(f"{what} is not valid JSON: it holds a number too long") from exc

    problem = unstorable(value)
    if problem:
        raise MalformedInput(f"{what} {problem}")
    return value


class _RepeatedKey(ValueError):
    """An object names the same key twice; which value was meant is unknowable."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        repeated = next(key for key in keys if keys.count(key) > 1)
        raise _RepeatedKey(f"the key {repeated[:40]!r} appears twice in one object")
    return dict(pairs)


def unstorable(value: Any, *, depth: int = 0) -> str | None:
    """Why a parsed JSON value cannot be stored and sent back, or None if it can."""
    if depth > MAX_DEPTH:
        return f"is nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if -_INT64 <= value < _INT64 else "holds a whole number too large to store"
    if isinstance(value, float):
        return None if math.isfinite(value) else "holds a number that is not finite"
    if isinstance(value, str):
        return None if _is_unicode(value) else "holds text that is not valid Unicode"
    if isinstance(value, list):
        return next((p for item in value if (p := unstorable(item, depth=depth + 1))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if not _is_unicode(key) or "\x00" in key:
                return "has a key that is not valid text"
            if problem := unstorable(item, depth=depth + 1):
                return problem
    return None


def _is_unicode(text: str) -> bool:
    # A lone surrogate such as "\ud800" parses as JSON but has no UTF-8 form.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def spreadsheet_safe(value: Any) -> str:
    """A CSV cell as text that a spreadsheet shows rather than runs.

    OWASP's advice on CSV injection: a leading = + - @ (or tab, CR) starts a
    formula, so such a cell is quoted with a leading apostrophe. A cell that
    already starts with one is quoted too, so that spreadsheet_text can take
    off exactly what was added: '=x and =x then come back apart.
    """
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _QUOTED_START else text


def spreadsheet_text(cell: str) -> str:
    """The text spreadsheet_safe was given, from the cell it made: its one apostrophe taken off.

    A cell it would not have quoted (a lone apostrophe, 'text typed by hand)
    is kept as it is.
    """
    return cell[1:] if cell[:1] == "'" and cell[1:2] in _QUOTED_START else cell


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows as CSV under a header of columns, every cell spreadsheet_safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_safe(row.get(name)) for name in columns])
    return out.getvalue()
