"""A destruction certificate per run, as CSV and as PDF.

It says what went, when, under which rule and on whose approval.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from records.offenders import IDENTIFIERS
from records.store import iso
from records.validation import spreadsheet_safe

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
)


def _cells(stone: dict[str, Any]) -> dict[str, str]:
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
    }


def as_csv(run: dict[str, Any], stones: list[dict[str, Any]]) -> str:
    """One row per destroyed document; cells a spreadsheet would run are quoted as text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["run", *COLUMNS])
    for stone in stones:
        cells = _cells(stone)
        writer.writerow([str(run["_id"]), *(spreadsheet_safe(cells[c]) for c in COLUMNS)])
    return out.getvalue()


def as_pdf(run: dict[str, Any], stones: list[dict[str, Any]]) -> bytes:
    """The certificate as a landscape A4 PDF with one table row per destroyed document."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    out = io.BytesIO()
    sheet = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Destruction certificate, run {run['_id']}",
        author="PPUD",
    )
    finished = iso(run["finished_at"]) if run.get("finished_at") else "not finished"
    story: list[Any] = [
        Paragraph("Certificate of destruction", styles["Title"]),
        Paragraph(
            f"Run {run['_id']} ({run['kind']}): proposed by {run['proposed_by']}, "
            f"approved by {run['approved_by']} on {iso(run['approved_at'])}; finished {finished}. "
            f"{len(stones)} document(s) destroyed: every version's bytes, extracted text, "
            "search entries and derived pictures removed.",
            styles["BodyText"],
        ),
        Spacer(1, 4 * mm),
    ]

    def cell(text: str) -> Paragraph:
        return Paragraph(_escape(text), small)

    header = ["Document", "Type", "Case", "Offender", "Identifiers", "SHA-256", "Rule", "Destroyed"]
    rows: list[list[Any]] = [[cell(h) for h in header]]
    for stone in stones:
        c = _cells(stone)
        identifiers = ", ".join(f"{k}: {c[k]}" for k in IDENTIFIERS if c[k])
        rows.append(
            [
                cell(f"{c['title']} ({c['document_id']})"),
                cell(c["doc_type"]),
                cell(f"{c['case_title']} ({c['case_id']})"),
                cell(c["offender"]),
                cell(identifiers),
                cell(c["sha256"].replace(" ", "\n")),
                cell(c["rule"]),
                cell(c["destroyed_at"]),
            ]
        )
    widths = [w * mm for w in (48, 24, 40, 28, 34, 54, 24, 21)]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    sheet.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    # Paragraph reads a small XML markup: titles typed by users are text, never markup.
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
    )
