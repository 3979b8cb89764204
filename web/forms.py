"""What was wrong with a submitted form, field by field, for the GOV.UK error summary."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    # The id of the input the summary's link moves focus to.
    field: str
    message: str


@dataclass
class FormErrors:
    items: list[FieldError] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.items.append(FieldError(name, message))

    def message_for(self, name: str) -> str | None:
        return next((e.message for e in self.items if e.field == name), None)

    def __bool__(self) -> bool:
        return bool(self.items)


def sentence(detail: str) -> str:
    """A records message (lower-case, no full stop) as a sentence for a page."""
    detail = detail.strip()
    if not detail:
        return detail
    text = detail[0].upper() + detail[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


# The words a records message starts with when it says something of its field
# ("must be a real date", "is required"): the field's label goes in front of it.
# Any other message ("enter the 6-digit code ...", "there is no team named ...")
# is a sentence on its own, and a label in front would garble it.
_OF_THE_FIELD = frozenset(
    {"must", "is", "are", "may", "can", "cannot", "has", "have", "holds", "names", "needs"}
)


def field_sentence(label: str, message: str) -> str:
    """A records message about one field as a sentence for a page, naming the field if needed."""
    first = message.strip().split(" ", 1)[0]
    return sentence(f"{label} {message}" if first in _OF_THE_FIELD else message)
