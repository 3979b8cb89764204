"""Lists of values as CSV: exported for a spreadsheet, imported whole or not at all.

Every row of an import is checked before anything is written. A file with
any bad row imports nothing, and the report says what became (or, in a dry
run, would become) of every row, so the administrator can fix the file and
send it again. A row creates or changes the value with its code; values the
file does not name are left as they are (deleting is done value by value).
A label is exported as records.validation.spreadsheet_safe quotes it and
read back through spreadsheet_text, so an unchanged export imports back
unchanged.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit
from records.actors import Actor
from records.errors import FieldProblem, ImportRefused, TooLarge
from records.list_values import (
    MAX_ORDER,
    MAX_VALUES,
    clash,
    code_problem,
    definition,
    label_problem,
    merge,
    save_values,
    stored_values,
)
from records.policy import Action, require
from records.store import Store
from records.validation import spreadsheet_safe, spreadsheet_text
from records.vocabulary import normalised

COLUMNS = ("code", "label", "order", "retired")
REQUIRED = ("code", "label")
MAX_IMPORT_BYTES = 1024 * 1024
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}
# Bytes that are not UTF-8 are read as lone surrogates (surrogateescape), so
# each row can say whether it was readable rather than the file failing whole.
_ESCAPED = range(0xDC80, 0xDD00)
_SAVE_AS_UTF8 = 'save it from the spreadsheet as "CSV UTF-8"'


def export_csv(values: list[dict[str, Any]]) -> str:
    """The values as CSV, header first, every cell safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for value in values:
        retired = "true" if value["retired"] else "false"
        writer.writerow([value["code"], spreadsheet_safe(value["label"]), value["order"], retired])
    return buffer.getvalue()


@dataclass
class Row:
    """One line of the file as read, and what became of it."""

    line: int
    code: str = ""
    label: str | None = None
    order: int | None = None
    retired: bool | None = None
    problems: list[str] = field(default_factory=list)
    outcome: str = "invalid"

    def view(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "code": self.code,
            "outcome": self.outcome,
            "problems": self.problems,
        }


@dataclass
class Plan:
    """What an import would do to the list: every row's outcome, and the values after."""

    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.problems) or any(r.problems for r in self.rows)

    def codes(self, outcome: str) -> list[str]:
        return [r.code for r in self.rows if r.outcome == outcome]

    def report(self, name: str, *, dry_run: bool, imported: bool) -> dict[str, Any]:
        outcomes = ("created", "updated", "unchanged", "invalid")
        return {
            "list": name,
            "dry_run": dry_run,
            "imported": imported,
            "counts": {o: sum(r.outcome == o for r in self.rows) for o in outcomes},
            "problems": self.problems,
            "rows": [r.view() for r in self.rows],
        }


def plan(current: list[dict[str, Any]], raw: bytes) -> Plan:
    """Check the file against the list as it is; nothing is written."""
    planned = Plan()
    text = _decoded(raw, planned)
    if not text.strip():
        planned.problems.append("the file is empty; its first line must be the header")
        return planned
    try:
        lines = list(_lines(text))
    except csv.Error as exc:
        planned.problems.append(f"the file cannot be read as CSV: {exc}")
        return planned

    header_line, header = lines[0]
    columns = [cell.strip().lower() for cell in header]
    body = [(line, cells) for line, cells in lines[1:] if any(c.strip() for c in cells)]
    if problem := _header_problem(columns):
        planned.problems.append(f"line {header_line}: {problem}")
        planned.rows = [Row(line, problems=["not read: the header is wrong"]) for line, _ in body]
        return planned
    labels = {v["code"]: v["label"] for v in current}
    planned.rows = [_row(line, cells, columns, labels) for line, cells in body]
    if len(planned.rows) > MAX_VALUES:
        planned.problems.append(f"the file has {len(body)} rows; at most {MAX_VALUES} are taken")
        return planned
    _apply(current, planned)
    return planned


def _decoded(raw: bytes, planned: Plan) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start]
        planned.problems.append(
            f"the file is not UTF-8 text (line {line} holds the byte 0x{byte:02X}); {_SAVE_AS_UTF8}"
        )
        text = raw.decode("utf-8", errors="surrogateescape")
    # Excel's "CSV UTF-8" starts the file with a byte order mark.
    return text.removeprefix("\ufeff")


def _lines(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    found = []
    start = 1
    for cells in reader:
        found.append((start, cells))
        start = reader.line_num + 1
    return found


def _header_problem(columns: list[str]) -> str | None:
    expected = ",".join(COLUMNS)
    unknown = [c for c in columns if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        given = ",".join(columns)[:200]
        return f"the header must be {expected} (order and retired may be left out), not {given!r}"
    return None


def _row(line: int, cells: list[str], columns: list[str], labels: dict[str, str]) -> Row:
    """The row read and checked; labels: the list's labels as stored now, by code."""
    row = Row(line)
    if len(cells) != len(columns):
        row.problems.append(f"has {len(cells)} cells; the header has {len(columns)}")
        return row
    given = {name: cell.strip() for name, cell in zip(columns, cells, strict=True)}
    if any(ord(ch) in _ESCAPED for cell in cells for ch in cell):
        row.problems.append(f"is not UTF-8 text; {_SAVE_AS_UTF8}")
        return row
    row.code = given["code"]
    if not row.code:
        row.problems.append("code is missing")
    elif problem := code_problem(row.code):
        row.problems.append(f"code {problem}")
    row.label = spreadsheet_text(given["label"]) or None
    if row.label is None:
        row.problems.append("label is missing")
    elif row.label != labels.get(row.code) and (problem := label_problem(row.label)):
        # A label left as stored is not refused for a rule newer than it: one
        # stored before formulas were refused comes back from its own export.
        row.problems.append(f"label {problem}")
    row.order = _order(row, given.get("order", ""))
    row.retired = _retired(row, given.get("retired", ""))
    return row


def _order(row: Row, cell: str) -> int | None:
    if not cell:
        return None
    if not (cell.isascii() and cell.isdigit()) or int(cell) > MAX_ORDER:
        row.problems.append(f"order must be a whole number from 0 to {MAX_ORDER}, not {cell!r}")
        return None
    return int(cell)


def _retired(row: Row, cell: str) -> bool | None:
    if not cell:
        return None
    if cell.lower() in _TRUE | _FALSE:
        return cell.lower() in _TRUE
    row.problems.append(f"retired must be true or false, not {cell[:20]!r}")
    return None


def _apply(current: list[dict[str, Any]], planned: Plan) -> None:
    """Each row merged into the list in turn; duplicates and ambiguous labels refused."""
    values = {v["code"]: v for v in current}
    first_line: dict[str, int] = {}
    for row in planned.rows:
        if row.code in first_line:
            row.problems.append(f"code {row.code!r} is also on line {first_line[row.code]}")
            continue
        if row.code:
            first_line[row.code] = row.line
        if row.problems:
            continue
        before = values.get(row.code)
        after = merge(
            list(values.values()),
            before,
            row.code,
            label=row.label,
            order=row.order,
            retired=row.retired,
        )
        values[row.code] = after
        row.outcome = "created" if before is None else "updated" if after != before else "unchanged"
    final = list(values.values())
    for row in planned.rows:
        if not row.problems and (problem := clash(final, row.code, values[row.code]["label"])):
            row.problems.append(f"label {problem}")
    for row in planned.rows:
        if row.problems:
            row.outcome = "invalid"
    if len(final) > MAX_VALUES:
        planned.problems.append(f"the list would hold {len(final)} values; at most {MAX_VALUES}")
    planned.values = normalised(final)


def refusal(name: str, planned: Plan) -> ImportRefused:
    bad = [r for r in planned.rows if r.problems]
    problems = [FieldProblem("file", p) for p in planned.problems] + [
        FieldProblem(f"line {r.line}", "; ".join(r.problems)) for r in bad
    ]
    detail = f"nothing was imported: {len(bad)} of {len(planned.rows)} rows have problems"
    if planned.problems:
        detail += "; " + "; ".join(planned.problems)
    return ImportRefused(detail, planned.report(name, dry_run=False, imported=False), problems)


async def import_csv(
    store: Store, actor: Actor, name: str, raw: bytes, *, dry_run: bool
) -> dict[str, Any]:
    """Import the file into the list, or with dry_run only say what it would do."""
    require(actor, Action.LISTS_MANAGE)
    definition(name)
    if len(raw) > MAX_IMPORT_BYTES:
        raise TooLarge(f"a list's CSV file is limited to {MAX_IMPORT_BYTES} bytes")

    if dry_run:
        planned = plan(await stored_values(store, name), raw)
        return planned.report(name, dry_run=True, imported=False)

    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        planned = plan(await stored_values(store, name, session), raw)
        if planned.refused:
            raise refusal(name, planned)
        created, updated = planned.codes("created"), planned.codes("updated")
        if created or updated:
            await save_values(store, actor, name, planned.values, session)
            await audit.record(
                store,
                actor,
                "list.import",
                f"list:{name}",
                detail={"created": created, "updated": updated, "rows": len(planned.rows)},
                session=session,
            )
        return planned.report(name, dry_run=False, imported=True)

    return await store.transaction(apply)
