"""What a retention rule may name: the case types and document types, and the dates.

A rule naming a value no list holds, or a field that never holds a date, is
accepted by its syntax yet never applies to any record, which nobody would
notice until a record outlived its schedule. These checks refuse such rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from records.offenders import IDENTIFIERS, SEARCH_IDS, SEARCH_NAMES

# The fields of a case (records.cases, records.transitions) and of an offender
# (records.offenders) that hold something other than a date. Any other field
# stays allowed: it may be a date added later, and until a record holds a date
# there the rule does not apply to it (retention.expressions.as_date gives null).
NOT_DATES = {
    "case": frozenset(
        {
            "_id",
            "offender_id",
            "case_type",
            "title",
            "team",
            "state",
            "state_seq",
            "ended",
            "workflow",
            "created_by",
        }
    ),
    "offender": frozenset(
        {
            "_id",
            "family_name",
            "given_names",
            "aliases",
            *IDENTIFIERS,
            SEARCH_NAMES,
            SEARCH_IDS,
            "created_by",
            "revision",
        }
    ),
}
# Fields holding dates under names of their own rather than a date.
DATE_HOLDERS = {
    "case.state_dates": "case.state_dates.<state>",
    "case.last_event_date": "case.last_event_date.date",
}


@dataclass(frozen=True)
class Choices:
    """The codes a rule may cover, by field (case_types, doc_types)."""

    case_types: frozenset[str]
    doc_types: frozenset[str]

    def unlisted(self, field: str, codes: tuple[str, ...]) -> str | None:
        """Why some of codes cannot be covered, naming them; None when all can."""
        allowed = self.case_types if field == "case_types" else self.doc_types
        missing = [c for c in codes if c not in allowed]
        if not missing:
            return None
        listing = "case_types" if field == "case_types" else "document_types"
        shown = ", ".join(repr(c[:40]) for c in missing[:5])
        verb = "is" if len(missing) == 1 else "are"
        return f"{shown} {verb} not in the list {listing}"


def trigger_field_problem(trigger: str) -> str | None:
    """Why a case.<field> or offender.<field> trigger can never give a date, if it cannot."""
    if trigger in DATE_HOLDERS:
        return f"{trigger!r} holds dates by name, not a date: use {DATE_HOLDERS[trigger]}"
    kind, _, path = trigger.partition(".")
    first = path.split(".")[0]
    if first in NOT_DATES.get(kind, frozenset()) or trigger == "case.last_event_date.label":
        return f"{trigger[:60]!r} is not a date: the {kind}'s {first} holds no date"
    return None
