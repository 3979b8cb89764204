"""Offenders and cases imported from CSV: every row checked first, then all or nothing.

A records officer moving a caseload from a spreadsheet needs to know, row
by row, what would go in and what is wrong before anything does. So every
row is read and checked against the same rules as the forms (and against
the other rows and the records already held), a dry run reports that and
writes nothing, and a real run writes every row in one transaction, or,
if any row is refused, none.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from bson import Binary, ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, cases, offenders, tasks
from records.actors import Actor
from records.errors import FieldProblem, Forbidden, InvalidInput, NotFound, RecordError
from records.policy import Action, require
from records.store import Store, as_utc
from records.validation import Fields, has_control_characters

Kind = Literal["offenders", "cases"]
KINDS: tuple[Kind, ...] = ("offenders", "cases")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
DRAFTS = "import_drafts"
DRAFT_LIFETIME = timedelta(hours=1)

OFFENDER_COLUMNS = (
    "family_name",
    "given_names",
    "date_of_birth",
    "aliases",
    *offenders.IDENTIFIERS,
)
OFFENDER_REQUIRED = ("family_name", "given_names", "date_of_birth")
# A case names its offender by NOMS number, the identifier a spreadsheet holds.
CASE_COLUMNS = ("nomis_number", "case_type", "title", "team")
CASE_REQUIRED = ("nomis_number", "case_type", "title")


@dataclass
class Row:
    line: int  # the row's line in the file, the header being line 1
    problems: list[str] = field(default_factory=list)
    record: dict[str, Any] | None = None
    made: list[dict[str, Any]] = field(default_factory=list)  # a case's first tasks

    @property
    def outcome(self) -> str:
        return "refused" if self.problems else "ready"


@dataclass
class Report:
    kind: Kind
    dry_run: bool
    rows: list[Row]
    imported: int = 0

    @property
    def refused(self) -> int:
        return sum(1 for r in self.rows if r.problems)

    def view(self) -> dict[str, Any]:
        done = "imported" if self.imported else "ready"
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "rows": len(self.rows),
            "refused": self.refused,
            "imported": self.imported,
            "outcomes": [
                {
                    "line": r.line,
                    "outcome": "refused" if r.problems else done,
                    "problems": r.problems,
                    "id": str(r.record["_id"]) if r.record and self.imported else None,
                }
                for r in self.rows
            ],
        }


class ImportRefused(InvalidInput):
    """Some rows were refused, so nothing was imported; the report says which and why."""

    def __init__(self, report: Report) -> None:
        super().__init__(
            f"{report.refused} of {len(report.rows)} rows have problems, so nothing was "
            "imported; fix them and send the file again",
            [
                FieldProblem(f"line {r.line}", "; ".join(r.problems))
                for r in report.rows
                if r.problems
            ],
        )
        self.report = report


async def import_csv(
    store: Store,
    actor: Actor,
    kind: str,
    raw: bytes,
    *,
    dry_run: bool,
    draft_id: ObjectId | None = None,
) -> Report:
    """Check every row of the file; unless dry_run, write them all or, if any is refused, none.

    draft_id names the checked file the rows came from: it is used up in the
    same transaction, so the file is imported once however often it is sent.
    """
    if kind not in KINDS:
        raise InvalidInput.field("kind", "must be offenders or cases")
    # Asked first: someone who may not add these learns that, not what was wrong in the file.
    require(actor, Action.OFFENDER_WRITE if kind == "offenders" else Action.CASE_CREATE)
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB")

    text = _decoded(raw)
    lines = _table(text, OFFENDER_COLUMNS if kind == "offenders" else CASE_COLUMNS)
    if kind == "offenders":
        rows = await _check_offenders(store, lines)
    else:
        rows = await _check_cases(store, actor, lines)
    report = Report(kind, dry_run, rows)
    if dry_run:
        return report
    if report.refused:
        raise ImportRefused(report)

    writer = _write_offenders if kind == "offenders" else _write_cases

    async def write(session: AsyncClientSession) -> None:
        if draft_id is not None:
            await _use_draft(store, draft_id, len(rows), session)
        await writer(store, actor, rows, session)

    await store.transaction(write)
    report.imported = len(rows)
    return report


# --- reading the file ---------------------------------------------------------


def _decoded(raw: bytes) -> str:
    """UTF-8 text, or an error naming each line that is not (a spreadsheet's own encoding)."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pass
    bad = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
    listed = ", ".join(str(n) for n in bad[:20]) + (" and more" if len(bad) > 20 else "")
    raise InvalidInput(
        f"the file is not UTF-8 text (lines {listed}); save it from the spreadsheet as "
        "'CSV UTF-8' and send it again"
    )


def _table(text: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows as (line, cells), the header checked against the columns the import knows."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if not any(header):
            raise InvalidInput("the file is empty: the first line must name the columns")
        unknown = [h for h in header if h not in columns]
        if unknown:
            raise InvalidInput(
                f"unknown columns {', '.join(repr(h[:40]) for h in unknown[:10])}; "
                f"the columns are: {', '.join(columns)}"
            )
        if len(set(header)) != len(header):
            raise InvalidInput("a column is named twice in the first line")
        found: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # a blank line a spreadsheet left at the end
            if len(found) == MAX_ROWS:
                raise InvalidInput(f"the file has more than {MAX_ROWS:,} rows; split it")
            values = {h: c.strip() for h, c in zip(header, cells, strict=False)}
            if len(cells) > len(header):
                values["\0extra"] = "yes"
            found.append((reader.line_num, values))
    except csv.Error as exc:
        raise InvalidInput(f"the file is not CSV near line {reader.line_num}: {exc}") from exc
    return found


def _present(cells: dict[str, str], required: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    problems = [f"{name.replace('_', ' ')} is required" for name in required if not cells.get(name)]
    if cells.pop("\0extra", None):
        problems.append("has more cells than the first line has columns")
    for name, value in cells.items():
        if has_control_characters(value):
            problems.append(f"{name.replace('_', ' ')} must not contain control characters")
    return {k: v for k, v in cells.items() if v}, problems


def _problems_of(exc: RecordError) -> list[str]:
    if isinstance(exc, InvalidInput) and exc.errors:
        return [f"{p.field.replace('_', ' ')} {p.message}" for p in exc.errors]
    return [exc.detail]


# --- checking the rows --------------------------------------------------------


async def _check_offenders(store: Store, lines: list[tuple[int, dict[str, str]]]) -> list[Row]:
    today = store.now().date()
    seen: dict[str, int] = {}
    rows = []
    for line, cells in lines:
        row = Row(line)
        data, row.problems = _present(cells, OFFENDER_REQUIRED)
        if "aliases" in data:
            data["aliases"] = [a for a in data["aliases"].split(";") if a.strip()]
        if not row.problems:
            try:
                row.record = offenders.new_offender_record(data, today=today)
            except InvalidInput as exc:
                row.problems = _problems_of(exc)
        number = (row.record or {}).get("nomis_number")
        if number and number in seen:
            row.problems.append(f"NOMS number {number} is also on line {seen[number]}")
        elif number:
            seen[number] = line
        rows.append(row)

    # One query for every NOMS number in the file, not one a row.
    held = {
        o["nomis_number"]
        async for o in store.db[offenders.OFFENDERS].find(
            {"nomis_number": {"$in": list(seen)}}, {"nomis_number": 1}
        )
    }
    for row in rows:
        number = (row.record or {}).get("nomis_number")
        if number is not None and number in held and seen.get(number) == row.line:
            row.problems.append(f"an offender with NOMS number {number} is already held")
    return rows


async def _check_cases(
    store: Store, actor: Actor, lines: list[tuple[int, dict[str, str]]]
) -> list[Row]:
    numbers = {c.get("nomis_number", "").upper() for _, c in lines}
    people = {
        o["nomis_number"]: o
        async for o in store.db[offenders.OFFENDERS].find({"nomis_number": {"$in": list(numbers)}})
    }
    seen: dict[tuple[str, ...], int] = {}
    rows = []
    for line, cells in lines:
        row = Row(line)
        data, row.problems = _present(cells, CASE_REQUIRED)
        fields = Fields(data)
        # Presence was checked above; these say what is wrong with what is there.
        fields.text("title", required=False, max_length=200)
        fields.text("team", required=False, max_length=64)
        row.problems += [f"{p.field} {p.message}" for p in fields.problems]
        number = data.get("nomis_number", "").upper()
        person = people.get(number)
        if number and person is None:
            row.problems.append(f"no offender has NOMS number {number}")
        key = (number, data.get("case_type", "").lower(), data.get("title", ""))
        if key in seen:
            row.problems.append(f"the same case is also on line {seen[key]}")
        seen.setdefault(key, line)
        if not row.problems and person is not None:
            team = data.get("team") or actor.team
            try:
                row.record = await cases.new_case_record(
                    store, actor, person, data["case_type"], data["title"], team
                )
                row.made = await cases.first_tasks(store, row.record)
            except (InvalidInput, Forbidden) as exc:
                row.problems = _problems_of(exc)
        rows.append(row)
    return rows


# --- writing them -------------------------------------------------------------


async def _write_offenders(
    store: Store, actor: Actor, rows: list[Row], session: AsyncClientSession
) -> None:
    now = store.now()
    records = [
        {**r.record, "created_at": now, "created_by": actor.username, "revision": 1}
        for r in rows
        if r.record is not None
    ]
    await store.db[offenders.OFFENDERS].insert_many(records, session=session)
    for made, row in zip(records, rows, strict=True):
        row.record = made
        await audit.record(
            store,
            actor,
            "offender.create",
            f"offender:{made['_id']}",
            detail={"imported_from_line": row.line},
            session=session,
        )


async def _write_cases(
    store: Store, actor: Actor, rows: list[Row], session: AsyncClientSession
) -> None:
    records = [r.record for r in rows if r.record is not None]
    await store.db[cases.CASES].insert_many(records, session=session)
    made = [t for r in rows for t in r.made]
    if made:
        await store.db[tasks.TASKS].insert_many(made, session=session)
    for row in rows:
        assert row.record is not None
        await audit.record(
            store,
            actor,
            "case.create",
            f"case:{row.record['_id']}",
            case_id=row.record["_id"],
            detail={
                "case_type": row.record["case_type"],
                "team": row.record["team"],
                "imported_from_line": row.line,
            },
            session=session,
        )


# --- checked files waiting to be imported -------------------------------------


async def keep_draft(store: Store, actor: Actor, kind: str, raw: bytes, filename: str) -> ObjectId:
    """The checked file, one per user and for an hour: a newer check replaces the last."""
    draft_id = ObjectId()
    # A new id each time, so a page still showing the older check cannot import this one.
    await store.db[DRAFTS].delete_many({"user_id": actor.id})
    await store.db[DRAFTS].insert_one(
        {
            "_id": draft_id,
            "user_id": actor.id,
            "kind": kind,
            "filename": filename[:200],
            "csv": Binary(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "created_at": store.now(),
        }
    )
    return draft_id


async def draft_of(store: Store, actor: Actor, draft_id: str) -> dict[str, Any]:
    """The actor's own checked file; anyone else's, an imported or an expired one, is not there."""
    found = await _own_draft(store, actor, draft_id)
    if found is None or "csv" not in found:
        raise NotFound("that checked file has gone: check the file again to import it")
    return found


async def _use_draft(
    store: Store, draft_id: ObjectId, imported: int, session: AsyncClientSession
) -> None:
    """The file is dropped; what remains, until the draft expires, is how many rows it gave.

    Only a draft still holding its file is used, so of two imports of it sent
    at once (a button clicked twice) one writes the rows and the other,
    conflicting on this record, finds it used and writes nothing.
    """
    used = await store.db[DRAFTS].update_one(
        {"_id": draft_id, "csv": {"$exists": True}},
        {"$unset": {"csv": "", "sha256": ""}, "$set": {"imported": imported}},
        session=session,
    )
    if used.modified_count == 0:
        raise NotFound("that checked file has been imported already")


async def imported_by(store: Store, actor: Actor, draft_id: str) -> int | None:
    """How many rows the actor's own finished import gave; None for any other id.

    The page announcing an import reads it here rather than from its link,
    which anyone could write with another number.
    """
    found = await _own_draft(store, actor, draft_id)
    if found is None or "csv" in found:
        return None
    return int(found["imported"])


async def _own_draft(store: Store, actor: Actor, draft_id: str) -> dict[str, Any] | None:
    if not ObjectId.is_valid(draft_id):
        return None
    found = await store.db[DRAFTS].find_one({"_id": ObjectId(draft_id), "user_id": actor.id})
    if found is None or as_utc(found["created_at"]) < store.now() - DRAFT_LIFETIME:
        return None
    return found


async def expire_drafts(store: Store) -> int:
    """Checked files left unimported: they hold personal data, so they do not linger."""
    gone = await store.db[DRAFTS].delete_many({"created_at": {"$lt": store.now() - DRAFT_LIFETIME}})
    return int(gone.deleted_count)
