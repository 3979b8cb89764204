"""Retention rules to and from CSV, for editing in a spreadsheet.

Lists (case types, document types, markings) are one cell each, separated by
semicolons. Exported cells that a spreadsheet would run as a formula are
quoted with a leading apostrophe (records.validation.spreadsheet_safe), and
that apostrophe is dropped again on import.
"""

from __future__ import annotations

import csv
import io

from records.errors import FieldProblem
from records.validation import spreadsheet_safe
from retention.errors import BadRule
from retention.rules import FIELDS, Rule, read_rule, to_record

MAX_ROWS = 1000
MAX_BYTES = 512 * 1024


def export_csv(rules: list[Rule]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    for rule in rules:
        record = to_record(rule)
        cells = [";".join(v) if isinstance(v, list) else v for v in (record[f] for f in FIELDS)]
        writer.writerow([spreadsheet_safe(c) for c in cells])
    return out.getvalue()


def import_csv(raw: bytes) -> list[Rule]:
    """Every rule in the file, or BadRule naming each bad row and field."""
    if len(raw) > MAX_BYTES:
        raise BadRule(f"a rules file is at most {MAX_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRule(
            f"the rules file is not UTF-8 text (byte {exc.start} cannot be read)"
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [
        f for f in ("code", "title", "trigger", "amount", "unit", "action") if f not in header
    ]
    if missing:
        raise BadRule.field(
            "header", f"the first row must name the columns; missing {', '.join(missing)}"
        )
    unknown = [f for f in header if f not in FIELDS]
    if unknown:
        raise BadRule.field("header", f"{unknown[0]!r} is not a column of a rules file")

    rules: list[Rule] = []
    problems: list[FieldProblem] = []
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise BadRule(f"a rules file holds at most {MAX_ROWS} rules")
        if None in row:
            problems.append(FieldProblem("row", f"row {number}: has more cells than the header"))
            continue
        cells = {k: _unquote(v) for k, v in row.items() if v is not None and v != ""}
        try:
            rules.append(read_rule(cells, where=f"row {number}: "))
        except BadRule as exc:
            problems.extend(exc.errors)
    if problems:
        summary = "; ".join(f"{p.field}: {p.message}" for p in problems[:20])
        raise BadRule(f"the rules file has {len(problems)} problem(s): {summary}", problems)
    if not rules:
        raise BadRule("the rules file holds no rules")
    return rules


def _unquote(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell
