"""The three file formats demo documents are filed as: PDF, Word (DOCX) and e-mail (.eml).

Each is written so that the same words give the same bytes, whenever and
wherever they are written: ReportLab's invariant mode fixes the PDF's dates
and identifier, the DOCX's core properties and zip entry times are fixed
(python-docx stamps each entry with the time of writing), and the e-mail's
headers come from the thread, not the clock or the host name.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from xml.sax.saxutils import escape

import docx
from docx.shared import Mm, Pt
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from demo.prose import NOTICE, Block, Thread, Written
from dossier_builder.fonts import faces

CREATOR = "PPUD demo generator"
# Every DOCX says it was written at this moment; its zip entries carry the same time.
FIXED_TIME = datetime(2026, 1, 1, tzinfo=UTC)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def pdf(written: Written, *, title: str, marking: str) -> bytes:
    """A4 pages: the notice, the title, the identifying fields, then the body."""
    face = faces()
    body = ParagraphStyle("body", fontName=face.regular, fontSize=10, leading=14, spaceAfter=6)
    styles = {
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontName=face.bold, fontSize=16, leading=20),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=face.bold, fontSize=11.5, spaceBefore=8
        ),
        "notice": ParagraphStyle("notice", parent=body, fontName=face.bold, textColor=colors.white),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11, spaceAfter=0),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=4),
    }
    story: list[Flowable] = [
        _boxed(Paragraph(escape(NOTICE), styles["notice"])),
        Spacer(1, 10),
        Paragraph(escape(written.title), styles["title"]),
        _table([("Field", "Detail"), *written.fields], styles["cell"], widths=(5 * cm, 11 * cm)),
        Spacer(1, 8),
    ]
    for block in written.blocks:
        story.extend(_flowables(block, styles))

    def stamp(canvas: Canvas, document: SimpleDocTemplate) -> None:
        # Every page says what it is, in the top corners: a dossier stamps its own page
        # numbers, marking and download notice at the top and bottom centre and below.
        canvas.saveState()
        canvas.setFont(face.bold, 7.5)
        width, height = A4
        top = height - 1.1 * cm
        canvas.drawString(2.2 * cm, top, f"FICTIONAL DEMO DATA · {marking}")
        canvas.drawRightString(width - 2.2 * cm, top, f"page {document.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=title,
        author=written.author,
        subject="Fictional demo data",
        creator=CREATOR,
        invariant=1,
    )
    template.build(story, onFirstPage=stamp, onLaterPages=stamp)
    return buffer.getvalue()


def _boxed(inside: Flowable) -> Table:
    box = Table([[inside]], colWidths=[16.6 * cm])
    box.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#b10e1e"))]))
    return box


def _table(
    rows: list[tuple[str, ...]] | tuple[tuple[str, ...], ...],
    style: ParagraphStyle,
    *,
    widths: tuple[float, ...] | None = None,
) -> Table:
    cells = [[Paragraph(escape(cell), style) for cell in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _flowables(block: Block, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    if block.kind == "heading":
        return [Paragraph(escape(block.text), styles["heading"])]
    if block.kind == "bullets":
        return [Paragraph(escape(item), styles["bullet"], bulletText="•") for item in block.items]
    if block.kind == "table":
        return [_table(block.rows, styles["cell"]), Spacer(1, 6)]
    return [Paragraph(escape(block.text), styles["body"])]


def word(written: Written, *, title: str, marking: str, version: int) -> bytes:
    """A Word document with the same content, its properties and zip times fixed."""
    document = docx.Document()
    for name in ("Normal", "Title", "Heading 2"):
        document.styles[name].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10.5)
    for section in document.sections:
        # python-docx's template is US Letter; casework is printed on A4.
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(22)
        section.header.paragraphs[0].text = f"FICTIONAL DEMO DATA · {marking}"
    notice = document.add_paragraph().add_run(NOTICE)
    notice.bold = True
    document.add_heading(written.title, level=0)
    _word_table(document, [("Field", "Detail"), *written.fields])
    for block in written.blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=2)
        elif block.kind == "bullets":
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        elif block.kind == "table":
            _word_table(document, block.rows)
        else:
            document.add_paragraph(block.text)

    properties = document.core_properties
    properties.title = title
    properties.author = written.author
    properties.last_modified_by = written.author
    properties.comments = NOTICE
    properties.created = properties.modified = FIXED_TIME
    properties.last_printed = FIXED_TIME
    properties.revision = version
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _word_table(
    document: docx.document.Document,
    rows: list[tuple[str, ...]] | tuple[tuple[str, ...], ...],
) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for cells, row in zip(table.rows, rows, strict=True):
        for cell, text in zip(cells.cells, row, strict=True):
            cell.text = text


def _fixed_zip_times(packed: bytes) -> bytes:
    """The same zip, every entry dated FIXED_TIME (the members and their order unchanged)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(packed)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(entry))
    return out.getvalue()


def eml(thread: Thread, *, key: str) -> bytes:
    """The newest message of the thread, quoting the earlier ones below it, as mail clients do."""
    newest = thread.messages[-1]
    message = EmailMessage()
    message["From"] = formataddr((newest.sender, newest.sender_address))
    message["To"] = formataddr((newest.to, newest.to_address))
    message["Subject"] = ("RE: " if len(thread.messages) > 1 else "") + thread.subject
    message["Date"] = format_datetime(newest.sent)
    # From the document's place in the demo set, so the same thread has the same identifier.
    token = hashlib.sha256(key.encode()).hexdigest()[:24]
    message["Message-ID"] = f"<{token}@demo.ppud.example>"
    message["X-PPUD-Demo"] = "fictional"

    parts = [NOTICE, "", "\n\n".join(newest.paragraphs)]
    for earlier in reversed(thread.messages[:-1]):
        parts += [
            "",
            "-----Original Message-----",
            f"From: {earlier.sender} <{earlier.sender_address}>",
            f"Sent: {format_datetime(earlier.sent)}",
            f"To: {earlier.to} <{earlier.to_address}>",
            f"Subject: {thread.subject}",
            "",
            "\n\n".join(earlier.paragraphs),
        ]
    message.set_content("\n".join(parts) + "\n")
    return message.as_bytes(policy=SMTP)
