"""The pages the builder draws itself: cover, index, dividers, placeholders and stamps.

Drawn with ReportLab's canvas, line by line at fixed positions, so the index
layout is known before it is drawn: how many pages it takes (one line per
entry) and where each line's link goes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from dossier_builder.fonts import faces

WIDTH, HEIGHT = A4
MARGIN = 56.0
# Stamps are written straight into pages with the standard fonts (see bundle._stamp).
STAMP_FONT, STAMP_BOLD = "Helvetica", "Helvetica-Bold"
LINE = 16.0
INDEX_TOP = HEIGHT - MARGIN - 60  # below the heading and the column titles
INDEX_BOTTOM = MARGIN + 30  # above the stamped page label and marking
LINES_PER_INDEX_PAGE = int((INDEX_TOP - INDEX_BOTTOM) // LINE)
STAMP_SIZE = 9.0
# Column starts on an index page: title, date, type, page (right-aligned).
COLUMNS = (MARGIN, 330.0, 400.0, WIDTH - MARGIN)


@dataclass(frozen=True)
class IndexLine:
    """A section heading (page None) or an entry and the printed page it starts on."""

    text: str
    page: int | None = None
    date: str = ""
    doc_type: str = ""
    awaited: bool = False


@dataclass(frozen=True)
class LinkBox:
    """Where an index line sits: index page (0-based within the index) and its rectangle."""

    index_page: int
    line: int
    rect: tuple[float, float, float, float]


def index_pages_needed(lines: int) -> int:
    return max(1, -(-lines // LINES_PER_INDEX_PAGE))


def fit(text: str, font: str, size: float, width: float) -> str:
    """text cut with an ellipsis to fit width points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _new() -> tuple[Canvas, io.BytesIO]:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    return canvas, buffer


def _finish(canvas: Canvas, buffer: io.BytesIO) -> bytes:
    canvas.save()
    return buffer.getvalue()


def cover(heading: str, lines: list[str]) -> bytes:
    canvas, buffer = _new()
    face = faces()
    canvas.setFont(face.bold, 20)
    canvas.drawCentredString(
        WIDTH / 2, HEIGHT * 0.62, fit(heading, face.bold, 20, WIDTH - 2 * MARGIN)
    )
    canvas.setFont(face.regular, 12)
    y = HEIGHT * 0.62 - 36
    for line in lines:
        canvas.drawCentredString(WIDTH / 2, y, fit(line, face.regular, 12, WIDTH - 2 * MARGIN))
        y -= 20
    canvas.showPage()
    return _finish(canvas, buffer)


def index(lines: list[IndexLine]) -> tuple[bytes, list[LinkBox]]:
    """The index pages, and where each entry's line is for its link."""
    canvas, buffer = _new()
    face = faces()
    boxes: list[LinkBox] = []
    pages = index_pages_needed(len(lines))
    for page in range(pages):
        canvas.setFont(face.bold, 16)
        heading = "Index" if page == 0 else "Index (continued)"
        canvas.drawString(MARGIN, HEIGHT - MARGIN - 16, heading)
        canvas.setFont(face.bold, 9)
        top = HEIGHT - MARGIN - 44
        canvas.drawString(COLUMNS[0], top, "Document")
        canvas.drawString(COLUMNS[1], top, "Date")
        canvas.drawString(COLUMNS[2], top, "Type")
        canvas.drawRightString(COLUMNS[3], top, "Page")
        chunk = lines[page * LINES_PER_INDEX_PAGE : (page + 1) * LINES_PER_INDEX_PAGE]
        for row, line in enumerate(chunk):
            y = INDEX_TOP - row * LINE
            if line.page is None:
                canvas.setFont(face.bold, 11)
                canvas.drawString(COLUMNS[0], y, fit(line.text, face.bold, 11, WIDTH - 2 * MARGIN))
                continue
            canvas.setFont(face.regular, 10)
            title = line.text + (" (document awaited)" if line.awaited else "")
            canvas.drawString(
                COLUMNS[0] + 10, y, fit(title, face.regular, 10, COLUMNS[1] - COLUMNS[0] - 16)
            )
            canvas.drawString(COLUMNS[1], y, line.date)
            canvas.drawString(
                COLUMNS[2], y, fit(line.doc_type, face.regular, 10, COLUMNS[3] - COLUMNS[2] - 40)
            )
            canvas.drawRightString(COLUMNS[3], y, str(line.page))
            boxes.append(
                LinkBox(
                    page,
                    page * LINES_PER_INDEX_PAGE + row,
                    (COLUMNS[0], y - 4, COLUMNS[3], y + LINE - 4),
                )
            )
        canvas.showPage()
    return _finish(canvas, buffer), boxes


def notice(heading: str, detail: str = "") -> bytes:
    """A single page with a heading: a section divider, or a document awaited."""
    canvas, buffer = _new()
    face = faces()
    canvas.setFont(face.bold, 18)
    canvas.drawCentredString(
        WIDTH / 2, HEIGHT / 2 + 10, fit(heading, face.bold, 18, WIDTH - 2 * MARGIN)
    )
    if detail:
        canvas.setFont(face.regular, 12)
        canvas.drawCentredString(
            WIDTH / 2, HEIGHT / 2 - 18, fit(detail, face.regular, 12, WIDTH - 2 * MARGIN)
        )
    canvas.showPage()
    return _finish(canvas, buffer)
