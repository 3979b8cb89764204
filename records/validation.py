"""Small checks on client input shared by the record modules."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from records.errors import FieldProblem, InvalidInput


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
        self, field: str, *, required: bool = True, max_length: int = 500, strip: bool = True
    ) -> str | None:
        """A string field; strip=False keeps surrounding spaces (passwords)."""
        value = self.data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "is required")
            return None
        if not isinstance(value, str):
            self.fail(field, "must be a string")
            return None
        if strip:
            value = value.strip()
        if len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters")
        elif has_control_characters(value):
            self.fail(field, "must not contain control characters")
        return value

    def date(self, field: str, *, required: bool = False) -> str | None:
        value = self.text(field, required=required, max_length=10)
        if value is None:
            return None
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            self.fail(field, "must be a date as YYYY-MM-DD")
            return None

    def text_list(self, field: str, *, max_items: int = 50) -> list[str]:
        value = self.data.get(field)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(field, "must be a list of strings")
            return []
        if len(value) > max_items:
            self.fail(field, f"must have at most {max_items} entries")
        return [v.strip() for v in value if v.strip()]

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
