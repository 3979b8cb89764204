"""A certificate per run, of destruction or of transfer, as CSV and as PDF.

It says what went, when, under which rule and on whose approval, and what
the run did not destroy: records blocked (with why) and, in a transfer,
records kept after it. A run is shown only to those who may see every
record in it (retention.runs.get_run), so titles, types and cases may be
named; no content is.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from records.cases import CASES
from records.documents import DOCUMENTS
from records.offenders import IDENTIFIERS
from records.store import Store, iso
from records.validation import spreadsheet_safe
from retention.visibility import TOMBSTONES

COLUMNS = (
    "document_id",
    "title",
    "doc_type",
    "case_id",
    "case_title",
    "offender",
    *IDENTIFIERS,
    "sha256",
    "rule",
    "proposed_by",
    "approved_by",
    "destroyed_at",
    "outcome",
    "reason",
    "in_package",
)
# What became of a record, by the run's kind and its result (retention.destroy.Outcome).
OUTCOMES = {
    ("destruction", "destroyed"): "destroyed",
    ("transfer", "destroyed"): "transferred_and_destroyed",
    ("transfer", "transferred"): "transferred_and_kept",
}


@dataclass(frozen=True)
class Remaining:
    """A record of the run that still exists: blocked, or kept after its transfer."""

    document_id: ObjectId
    title: str
    doc_type: str
    case_id: str
    case_title: str
    result: str  # the run's result: blocked or transferred
    reason: str
    in_package: bool | None  # None outside transfers, or when the package is gone


def is_transfer(run: dict[str, Any]) -> bool:
    return bool(run["kind"] == "transfer")


def outcome(run: dict[str, Any], result: str) -> str:
    return OUTCOMES.get((run["kind"], result), result)


async def remaining(store: Store, run: dict[str, Any]) -> list[Remaining]:
    """The run's records it did not destroy, in the run's order, each with why.

    Read from the records themselves, or from the tombstone of a later run
    that destroyed one after all.
    """
    results = [r for r in run.get("results") or [] if r["result"] != "destroyed"]
    ids = [r["document_id"] for r in results]
    shown = {"title": 1, "doc_type": 1, "case_id": 1, "case_title": 1}
    found = {d["_id"]: d async for d in store.db[DOCUMENTS].find({"_id": {"$in": ids}}, shown)}
    later = store.db[TOMBSTONES].find({"_id": {"$in": [i for i in ids if i not in found]}}, shown)
    found |= {t["_id"]: t async for t in later}
    case_ids = list({d["case_id"] for d in found.values()})
    titles = {
        c["_id"]: c.get("title") or ""
        async for c in store.db[CASES].find({"_id": {"$in": case_ids}}, {"title": 1})
    }

    def one(result: dict[str, Any]) -> Remaining:
        record = found.get(result["document_id"]) or {}
        case_id = record.get("case_id")
        return Remaining(
            document_id=result["document_id"],
            title=record.get("title") or "(no longer held)",
            doc_type=record.get("doc_type") or "",
            case_id=str(case_id or ""),
            case_title=titles.get(case_id) or record.get("case_title") or "",
            result=result["result"],
            reason=result.get("detail") or "",
            in_package=_in_package(run, result["document_id"]),
        )

    return [one(r) for r in results]


def _in_package(run: dict[str, Any], document_id: ObjectId) -> bool | None:
    """Whether a transfer's bag holds the record, as the run recorded when it wrote the bag.

    A record blocked before packaging is not in it; one blocked afterwards,
    when its destruction was refused, is.
    """
    if not is_transfer(run) or "packaged" not in run:
        return None
    return document_id in run["packaged"]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _cells(run: dict[str, Any], stone: dict[str, Any]) -> dict[str, str]:
    offender = stone.get("offender") or {}
    name = " ".join(p for p in (offender.get("given_names"), offender.get("family_name")) if p)
    return {
        "document_id": str(stone["_id"]),
        "title": stone["title"],
        "doc_type": stone["doc_type"],
        "case_id": str(stone["case_id"]),
        "case_title": stone.get("case_title") or "",
        "offender": name,
        **{k: offender.get(k) or "" for k in IDENTIFIERS},
        "sha256": " ".join(stone["sha256"]),
        "rule": stone.get("rule") or "",
        "proposed_by": stone["proposed_by"],
        "approved_by": stone["approved_by"],
        "destroyed_at": iso(stone["destroyed_at"]),
        "outcome": outcome(run, "destroyed"),
        "reason": "",
        "in_package": "yes" if is_transfer(run) else "",
    }


def _remaining_cells(run: dict[str, Any], left: Remaining) -> dict[str, str]:
    return {name: "" for name in COLUMNS} | {
        "document_id": str(left.document_id),
        "title": left.title,
        "doc_type": left.doc_type,
        "case_id": left.case_id,
        "case_title": left.case_title,
        "proposed_by": run["proposed_by"],
        "approved_by": run["approved_by"],
        "outcome": outcome(run, left.result),
        "reason": left.reason,
        "in_package": _yes_no(left.in_package),
    }


def as_csv(run: dict[str, Any], stones: list[dict[str, Any]], left: list[Remaining]) -> str:
    """One row per record of the run, destroyed or not; cells a spreadsheet would run are quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["run", *COLUMNS])
    rows = [_cells(run, s) for s in stones] + [_remaining_cells(run, r) for r in left]
    for cells in rows:
        writer.writerow([str(run["_id"]), *(spreadsheet_safe(cells[c]) for c in COLUMNS)])
    return out.getvalue()


def _summary(run: dict[str, Any], stones: list[dict[str, Any]], left: list[Remaining]) -> str:
    finished = iso(run["finished_at"]) if run.get("finished_at") else "not finished"
    blocked = sum(1 for r in left if r.result == "blocked")
    head = (
        f"Run {run['_id']} ({run['kind']}): proposed by {run['proposed_by']}, "
        f"approved by {run['approved_by']} on {iso(run['approved_at'])}; finished {finished}. "
    )
    removed = "every version's bytes, extracted text, search entries and derived pictures removed"
    if is_transfer(run):
        kept = sum(1 for r in left if r.result == "transferred")
        body = (
            f"{len(stones) + kept} document(s) transferred: {len(stones)} destroyed after "
            f"transfer ({removed}), {kept} kept after transfer as their rule says. "
        )
    else:
        body = f"{len(stones)} document(s) destroyed: {removed}. "
    return head + body + f"{blocked} document(s) blocked and not destroyed, listed with why."


def as_pdf(run: dict[str, Any], stones: list[dict[str, Any]], left: list[Remaining]) -> bytes:
    """The certificate as a landscape A4 PDF: what went, then what was kept and why."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    kind = "transfer" if is_transfer(run) else "destruction"
    out = io.BytesIO()
    sheet = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{kind.capitalize()} certificate, run {run['_id']}",
        author="PPUD",
    )

    def cell(text: str) -> Paragraph:
        return Paragraph(_escape(text), small)

    def section(title: str, rows: list[list[str]], widths: list[float]) -> list[Any]:
        heading = Paragraph(_escape(f"{title} ({len(rows) - 1})"), styles["Heading2"])
        if len(rows) == 1:
            return [heading, Paragraph("None.", styles["BodyText"])]
        return [heading, _table([[cell(t) for t in row] for row in rows], widths)]

    destroyed = "Transferred, then destroyed" if is_transfer(run) else "Destroyed"
    story: list[Any] = [
        Paragraph(f"Certificate of {kind}", styles["Title"]),
        Paragraph(_escape(_summary(run, stones, left)), styles["BodyText"]),
        Spacer(1, 4 * mm),
        *section(destroyed, _destroyed_rows(run, stones), [48, 24, 40, 28, 34, 54, 24, 21]),
    ]
    if is_transfer(run):
        kept = [r for r in left if r.result == "transferred"]
        story += section("Transferred and kept", _remaining_rows(kept), [70, 30, 70, 103])
    blocked = [r for r in left if r.result == "blocked"]
    story += section("Blocked: not destroyed", _remaining_rows(blocked), [70, 30, 70, 103])
    sheet.build(story)
    return out.getvalue()


def _destroyed_rows(run: dict[str, Any], stones: list[dict[str, Any]]) -> list[list[str]]:
    rows = [["Document", "Type", "Case", "Offender", "Identifiers", "SHA-256", "Rule", "Destroyed"]]
    for stone in stones:
        c = _cells(run, stone)
        rows.append(
            [
                f"{c['title']} ({c['document_id']})",
                c["doc_type"],
                f"{c['case_title']} ({c['case_id']})",
                c["offender"],
                ", ".join(f"{k}: {c[k]}" for k in IDENTIFIERS if c[k]),
                c["sha256"].replace(" ", "\n"),
                c["rule"],
                c["destroyed_at"],
            ]
        )
    return rows


def _remaining_rows(left: list[Remaining]) -> list[list[str]]:
    rows = [["Document", "Type", "Case", "Why"]]
    for r in left:
        packaged = " The transfer package holds it." if r.in_package else ""
        rows.append(
            [
                f"{r.title} ({r.document_id})",
                r.doc_type,
                f"{r.case_title} ({r.case_id})",
                f"{r.reason.rstrip('.')}.{packaged}" if r.reason else packaged.strip(),
            ]
        )
    return rows


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _escape(text: str) -> str:
    # Paragraph reads a small XML markup: titles typed by users are text, never markup.
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
    )
