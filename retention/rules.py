"""Retention rules as data: which records, from which date, for how long, then what.

An administrator edits them (the API, or a CSV file), and they are read here
and kept by retention.rule_store; evaluation (retention.evaluate) turns them
into one disposition date per record. Each
record is governed by exactly one rule: of those that match it and whose
trigger date it has, the most specific (see specificity).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from records import audit
from records.errors import FieldProblem
from records.validation import has_control_characters
from retention.errors import BadRule
from retention.rule_fields import Choices, trigger_field_problem

RULES = "retention_rules"

RECORD_CLASSES = ("documents", "audit")
ACTIONS = ("review", "destroy", "transfer")
AFTER_TRANSFER = ("destroy", "keep")
UNITS = ("days", "months", "years")
MARKINGS = ("OFFICIAL", "OFFICIAL-SENSITIVE")

# The named triggers, as a records manager reads them. Any other date of the
# case or offender is named by its field: "case.<field>" or "offender.<field>".
TRIGGERS = {
    "case_closed": "the case was closed",
    "document_date": "the document's date",
    "sentence_expiry_date": "the sentence expiry date",
    "licence_expiry_date": "the licence expiry date",
    "date_of_death": "the offender's date of death",
    "date_of_birth": "the offender's date of birth",
    "last_activity": "the document was last changed",
}
AUDIT_TRIGGER = "event_date"
_FIELD_TRIGGER = re.compile(r"^(case|offender)\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_ -]{0,63}(\.[A-Za-z_][A-Za-z0-9_ -]{0,63})*$")
MAX_TRIGGER = 200  # case.<field> or offender.<field>, nested a few levels
MAX_AMOUNT = {"days": 365 * 200, "months": 12 * 200, "years": 200}

# How much each kind of condition narrows a rule: a document type names a
# kind of record, metadata a property of one, a marking a class of them and
# a case type only where they were filed.
_WEIGHTS = {"doc_types": 8, "metadata": 4, "markings": 2, "case_types": 1}
# The conditions that list codes.
LISTS = ("case_types", "doc_types", "markings")

# Records a problem with a field of the rule being read.
Fail = Callable[[str, str], None]


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    trigger: str
    amount: int
    unit: str
    action: str
    record_class: str = "documents"
    case_types: tuple[str, ...] = ()
    doc_types: tuple[str, ...] = ()
    markings: tuple[str, ...] = ()
    metadata_key: str | None = None
    metadata_value: str | None = None
    after_transfer: str = "destroy"
    id: str | None = None
    revision: int = 1

    def __post_init__(self) -> None:
        # The lists are sets: sorted and each code once, so that a rule read back
        # from a file, or from a record stored in another order, compares equal.
        for name in LISTS:
            object.__setattr__(self, name, tuple(sorted(set(getattr(self, name)))))

    @property
    def specificity(self) -> int:
        given = {
            "doc_types": bool(self.doc_types),
            "metadata": self.metadata_key is not None,
            "markings": bool(self.markings),
            "case_types": bool(self.case_types),
        }
        return sum(_WEIGHTS[name] for name, present in given.items() if present)

    @property
    def approximate_days(self) -> float:
        per = {"days": 1.0, "months": 30.44, "years": 365.25}[self.unit]
        return self.amount * per

    def describe(self) -> str:
        """One line a records manager reads: 'review 7 years after the sentence expiry date'."""
        unit = self.unit if self.amount != 1 else self.unit.rstrip("s")
        start = TRIGGERS.get(self.trigger) or (
            "the audit event" if self.trigger == AUDIT_TRIGGER else f"the date in {self.trigger}"
        )
        return f"{self.action} {self.amount} {unit} after {start}"


def precedence(rules: list[Rule]) -> list[Rule]:
    """Most specific first; equally specific, the longer period first, then by code.

    The longer period wins a tie because keeping a record too long can be
    put right, destroying it too early cannot.
    """
    return sorted(rules, key=lambda r: (-r.specificity, -r.approximate_days, r.code))


DEFAULT_RULES = (
    Rule(
        code="recall-parole-sentence-expiry",
        title="Recall and parole casework",
        case_types=("parole_review", "recall"),
        trigger="sentence_expiry_date",
        amount=7,
        unit="years",
        action="review",
    ),
    Rule(
        code="restricted-patient-discharge",
        title="Restricted patients after absolute discharge",
        case_types=("mental_health",),
        trigger="case.state_dates.absolutely_discharged",
        amount=20,
        unit="years",
        action="review",
    ),
    Rule(
        code="deceased",
        title="Records of a person who has died",
        trigger="date_of_death",
        amount=20,
        unit="years",
        action="destroy",
    ),
    Rule(
        code="audit-events",
        title="Audit events",
        record_class="audit",
        trigger=AUDIT_TRIGGER,
        amount=2,
        unit="years",
        action="destroy",
    ),
)

FIELDS = (
    "code",
    "title",
    "record_class",
    "case_types",
    "doc_types",
    "markings",
    "metadata_key",
    "metadata_value",
    "trigger",
    "amount",
    "unit",
    "action",
    "after_transfer",
)


def read_rule(
    data: Any, choices: Choices, *, where: str = "", cells: bool = False, whole: bool = False
) -> Rule:
    """A rule from a JSON object, or with cells=True a CSV row; every problem at once.

    choices are the case types and document types the rule may cover. A CSV
    row's cells are all text, so there a number or a list is read from its text;
    in JSON each field must have its own type. With whole=True (a rule replaced)
    every field must be sent.
    """
    if not isinstance(data, dict):
        raise BadRule("a rule must be a JSON object")
    problems: list[FieldProblem] = []

    def fail(field: str, message: str) -> None:
        problems.append(FieldProblem(field, f"{where}{message}"))

    if whole:
        _require_every_field(data, fail)

    # A rule as the API shows it (rule_view) may be sent back as it is.
    for field in sorted(set(data) - set(FIELDS) - {"id", "revision", "specificity", "summary"}):
        fail(field, "is not a field of a retention rule")
    code = _text(data, "code", fail, pattern=_CODE, hint="lower-case letters, digits, - or _")
    title = _text(data, "title", fail, max_length=200)
    record_class = _choice(data, "record_class", RECORD_CLASSES, fail, default="documents")
    trigger = _trigger(data, record_class, fail)
    amount, unit = _period(data, fail, cells=cells)
    action = _choice(data, "action", ACTIONS, fail)
    after = _choice(data, "after_transfer", AFTER_TRANSFER, fail, default="destroy")
    scope = _scope(data, record_class, choices, fail, cells=cells)
    if record_class == "audit" and action != "destroy":
        fail("action", "audit events can only be destroyed when their time is up")
    # The law on law-enforcement processing asks for logs of consultation to be kept.
    days = {"days": 1.0, "months": 30.44, "years": 365.25}.get(unit or "", 0.0) * amount
    if record_class == "audit" and unit is not None and round(days) < audit.MIN_KEEP_DAYS:
        fail("amount", f"audit events are kept at least {audit.MIN_KEEP_DAYS} days")
    if problems:
        summary = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise BadRule(f"the rule has invalid fields: {summary}", problems)
    assert code and title and trigger and unit and action and record_class and after
    return Rule(
        code=code,
        title=title,
        trigger=trigger,
        amount=amount,
        unit=unit,
        action=action,
        record_class=record_class,
        after_transfer=after,
        **scope,
    )


def _text(
    data: dict[str, Any],
    field: str,
    fail: Fail,
    *,
    max_length: int = 64,
    pattern: re.Pattern[str] | None = None,
    hint: str = "",
    required: bool = True,
) -> str | None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            fail(field, "is required")
        return None
    if not isinstance(value, str):
        fail(field, "must be text")
        return None
    value = value.strip()
    if len(value) > max_length:
        fail(field, f"must be at most {max_length} characters")
        return None
    if has_control_characters(value):
        fail(field, "must not contain control characters")
        return None
    if pattern is not None and not pattern.match(value):
        fail(field, f"{value[:40]!r} is not allowed here: use {hint}")
        return None
    return value


def _choice(
    data: dict[str, Any],
    field: str,
    allowed: tuple[str, ...],
    fail: Fail,
    *,
    default: str | None = None,
) -> str | None:
    value = data.get(field)
    if value in (None, "") and default is not None:
        return default
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        shown = "nothing" if value in (None, "") else repr(str(value)[:40])
        fail(field, f"must be one of {', '.join(allowed)}, not {shown}")
        return None
    return value.strip().lower()


def _require_every_field(data: dict[str, Any], fail: Fail) -> None:
    # A list left out of a replaced rule would read as "no condition", widening a
    # destroy rule to records nobody meant it to reach; so nothing is assumed.
    for field in FIELDS:
        if field not in data:
            fail(field, "is missing: a rule is replaced whole, so send every field")
        elif field in LISTS and data[field] is None:
            fail(field, "must be a list of codes ([] for no condition), not null")


def _trigger(data: dict[str, Any], record_class: str | None, fail: Fail) -> str | None:
    value = data.get("trigger")
    if record_class == "audit":
        if value not in (None, "", AUDIT_TRIGGER):
            fail("trigger", f"audit events are kept from their own date: use {AUDIT_TRIGGER}")
            return None
        return AUDIT_TRIGGER
    if not isinstance(value, str) or not value.strip():
        fail("trigger", "is required")
        return None
    value = value.strip()
    if value in TRIGGERS:
        return value
    if len(value) > MAX_TRIGGER:
        fail("trigger", f"is longer than {MAX_TRIGGER} characters")
        return None
    if not _FIELD_TRIGGER.match(value):
        fail(
            "trigger",
            f"{value[:40]!r} is not a trigger: use one of {', '.join(TRIGGERS)}, "
            "or a date field named case.<field> or offender.<field>",
        )
        return None
    if problem := trigger_field_problem(value):
        fail("trigger", problem)
        return None
    return value


def _period(data: dict[str, Any], fail: Fail, *, cells: bool) -> tuple[int, str | None]:
    unit = _choice(data, "unit", UNITS, fail)
    raw = data.get("amount")
    whole = f"must be a whole number of {unit or 'days, months or years'}, 1 or more"
    if raw is None or raw == "":
        fail("amount", "is required")
        return 0, unit
    if isinstance(raw, str) and not cells:
        fail("amount", f"must be a number, not the text {raw[:20]!r}")
        return 0, unit
    if isinstance(raw, str):
        raw = _whole_number(raw)
    if isinstance(raw, float) and raw.is_integer():
        # JSON has one kind of number: a client may well send 2 as 2.0.
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        # A period of 0 would act on a record the day its trigger date comes.
        fail("amount", whole)
        return 0, unit
    if unit is not None and raw > MAX_AMOUNT[unit]:
        fail("amount", f"must be at most {MAX_AMOUNT[unit]} {unit}")
    return raw, unit


def _whole_number(cell: str) -> int | None:
    # Short, so int() never meets the thousands of digits it refuses.
    text = cell.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _scope(
    data: dict[str, Any], record_class: str | None, choices: Choices, fail: Fail, *, cells: bool
) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    for field in LISTS:
        scope[field] = _codes(data.get(field), field, fail, cells=cells)
    for field in ("case_types", "doc_types"):
        if problem := choices.unlisted(field, scope[field]):
            fail(field, problem)
    bad_marks = [m for m in scope["markings"] if m not in MARKINGS]
    if bad_marks:
        fail("markings", f"must be among {', '.join(MARKINGS)}, not {bad_marks[0]!r}")
    key = _text(
        data,
        "metadata_key",
        fail,
        pattern=_METADATA_KEY,
        hint="a metadata field name (letters, digits, spaces, _ or -; . between levels)",
        required=False,
    )
    value = _text(data, "metadata_value", fail, max_length=200, required=False)
    if (key is None) != (value is None):
        fail(
            "metadata_value" if key else "metadata_key",
            "metadata_key and metadata_value go together",
        )
    scope["metadata_key"], scope["metadata_value"] = key, value
    if record_class == "audit" and (any(scope[f] for f in LISTS) or key):
        fail("record_class", "a rule for audit events covers them all: give it no conditions")
    return scope


def _codes(value: Any, field: str, fail: Fail, *, cells: bool) -> tuple[str, ...]:
    # A CSV cell lists codes separated by semicolons; JSON sends a list.
    if value is None:
        return ()
    if isinstance(value, str) and cells:
        value = value.split(";")
    elif isinstance(value, str):
        fail(field, f'must be a list of codes, as ["{value.strip()[:40]}"], not text')
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fail(field, "must be a list of codes")
        return ()
    codes = tuple(sorted({v.strip() for v in value if v.strip()}))
    if any(len(c) > 64 for c in codes):
        fail(field, "codes must be at most 64 characters")
        return ()
    if any(has_control_characters(c) for c in codes):
        fail(field, "codes must not contain control characters")
        return ()
    return codes


# --- stored form -------------------------------------------------------------


def from_record(record: dict[str, Any]) -> Rule:
    fields: dict[str, Any] = {name: record.get(name) for name in FIELDS}
    for name in ("case_types", "doc_types", "markings"):
        fields[name] = tuple(fields[name] or ())
    return Rule(**fields, id=str(record["_id"]), revision=int(record.get("revision", 1)))


def to_record(rule: Rule) -> dict[str, Any]:
    stored = asdict(rule)
    for name in ("id", "revision"):
        stored.pop(name)
    for name in ("case_types", "doc_types", "markings"):
        stored[name] = list(stored[name])
    return stored


def rule_view(rule: Rule) -> dict[str, Any]:
    return {
        **to_record(rule),
        "id": rule.id,
        "revision": rule.revision,
        "specificity": rule.specificity,
        "summary": rule.describe(),
    }


def audit_keep_days(rules: list[Rule]) -> int | None:
    """The audit events' period in days, from the audit rules (the longest); None without one.

    The longest, as between document rules: keeping an event too long can
    be put right, expiring it too early cannot.
    """
    days = [round(r.approximate_days) for r in rules if r.record_class == "audit"]
    return max(days) if days else None
