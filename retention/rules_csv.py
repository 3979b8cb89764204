"""Retention rules to and from CSV, for editing in a spreadsheet.

Lists (case types, document types, markings) are one cell each, separated by
semicolons. Exported cells that a spreadsheet would run as a formula, or
that start with an apostrophe, are quoted with a leading apostrophe
(records.validation.spreadsheet_safe), and exactly that apostrophe is
dropped again on import, so every cell comes back as it was.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from records.actors import Actor
from records.errors import FieldProblem
from records.policy import Action, require
from records.store import Store
from records.validation import spreadsheet_safe, spreadsheet_text
from retention import rule_store
from retention.errors import BadRule
from retention.rule_fields import Choices
from retention.rules import FIELDS, Rule, read_rule, to_record

MAX_ROWS = 1000
MAX_BYTES = 512 * 1024
REQUIRED = ("code", "title", "trigger", "amount", "unit", "action")


def export_csv(rules: list[Rule]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for rule in rules:
        record = to_record(rule)
        cells = [";".join(v) if isinstance(v, list) else v for v in (record[f] for f in FIELDS)]
        writer.writerow([spreadsheet_safe(c) for c in cells])
    return out.getvalue()


async def import_rules(store: Store, actor: Actor, raw: bytes) -> dict[str, int]:
    """Create or change the file's rules, all or none; how many were created, changed, unchanged."""
    require(actor, Action.RETENTION_RULES_MANAGE)
    parsed = import_csv(raw, await rule_store.rule_choices(store))
    return await rule_store.replace_from(store, actor, parsed)


def import_csv(raw: bytes, choices: Choices) -> list[Rule]:
    """Every rule in the file, or BadRule naming each bad row and field."""
    if len(raw) > MAX_BYTES:
        raise BadRule(f"a rules file is at most {MAX_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRule(
            f"the rules file is not UTF-8 text (byte {exc.start} cannot be read)"
        ) from exc
    rows = _rows(text)
    try:
        header = next(rows, (1, 1, []))[2]
    except _Unreadable as exc:
        raise BadRule.field("header", f"row 1 (line {exc.line}): {exc}") from exc
    _check_header(header)

    rules: list[Rule] = []
    problems: list[FieldProblem] = []
    number = 1
    try:
        for first, last, row in rows:
            number += 1
            if number - 1 > MAX_ROWS:
                raise BadRule(f"a rules file holds at most {MAX_ROWS} rules")
            if problem := _row_problem(row, header, first, last):
                problems.append(FieldProblem("row", f"row {number}: {problem}"))
                continue
            cells = {k: spreadsheet_text(v) for k, v in zip(header, row, strict=False) if v != ""}
            try:
                rules.append(read_rule(cells, choices, where=f"row {number}: ", cells=True))
            except BadRule as exc:
                problems.extend(exc.errors)
    except _Unreadable as exc:
        # The csv module cannot go on past it: the rows after it are not read.
        problems.append(FieldProblem("row", f"row {number + 1} (line {exc.line}): {exc}"))
    if problems:
        summary = "; ".join(f"{p.field}: {p.message}" for p in problems[:20])
        raise BadRule(f"the rules file has {len(problems)} problem(s): {summary}", problems)
    if not rules:
        raise BadRule("the rules file holds no rules")
    return rules


class _Unreadable(ValueError):
    """The csv module stopped reading the file at line: a quote left open or closed too soon."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line


def _rows(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Each non-empty row with the lines it starts and ends on; _Unreadable where reading stops.

    strict, because otherwise the csv module reads on silently: a quote
    never closed takes the rest of the file into one cell, and one closed
    in the middle of a cell is kept as part of it.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    last = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Unreadable(last + 1, _csv_problem(exc)) from exc
        first, last = last + 1, reader.line_num
        if row:
            yield first, last, row


def _csv_problem(exc: csv.Error) -> str:
    message = str(exc)
    if "unexpected end of data" in message:
        return "a quote is not closed"
    if "expected after" in message:
        return 'a quote is closed before the end of its cell (write "" for a quote inside one)'
    return f"cannot be read: {message}"


def _check_header(header: list[str]) -> None:
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        raise BadRule.field(
            "header", f"the first row must name the columns; missing {', '.join(missing)}"
        )
    unknown = [f for f in header if f not in FIELDS]
    if unknown:
        raise BadRule.field("header", f"{unknown[0]!r} is not a column of a rules file")


def _row_problem(row: list[str], header: list[str], first: int, last: int) -> str | None:
    if len(row) > len(header):
        return "has more cells than the header"
    # No field of a rule may hold a line break, so a cell running over lines
    # is a quote left open until a later line happened to close it.
    if last > first and any("\n" in cell or "\r" in cell for cell in row):
        return f"a quote is not closed: a cell runs from line {first} to line {last}"
    return None
