"""Text stamped onto existing PDF pages: a dossier's marking and page labels, a download's note.

Written as a few text operators straight into each page, not drawn as a
page of its own and overlaid: measured, an overlay cost 1 ms a page, and a
2,000-page dossier five times the bare qpdf merge. The standard Helvetica
needs no embedding, which keeps the stamp small and fast, at the price of
Windows-1252's letters only (requests are checked for that in options).
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
from reportlab.pdfbase.pdfmetrics import stringWidth

from dossier_builder.errors import UnusableSource
from dossier_builder.pages import STAMP_BOLD, STAMP_FONT, STAMP_SIZE

_FONT_NAMES = (("/PPUDRegular", STAMP_FONT), ("/PPUDBold", STAMP_BOLD))


def standard_fonts(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    """The two fonts every stamped page of pdf shares."""
    return pikepdf.Dictionary(
        {
            name: pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Font,
                    Subtype=pikepdf.Name.Type1,
                    BaseFont=pikepdf.Name("/" + base),
                    Encoding=pikepdf.Name.WinAnsiEncoding,
                )
            )
            for name, base in _FONT_NAMES
        }
    )


def stamp_page(
    pdf: pikepdf.Pdf,
    page: pikepdf.Page,
    fonts: pikepdf.Dictionary,
    *,
    marking: str | None = None,
    label: str | None = None,
    note: str | None = None,
) -> None:
    """Stamp upright as the page is shown, whatever its /Rotate and box.

    The marking goes at top and bottom centre, the label bottom right, and
    the note centred just above the bottom line.
    """
    box = [float(v) for v in page.cropbox]
    x0, y0 = min(box[0], box[2]), min(box[1], box[3])
    x1, y1 = max(box[0], box[2]), max(box[1], box[3])
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    width, height = (y1 - y0, x1 - x0) if rotate in (90, 270) else (x1 - x0, y1 - y0)
    # From the page as seen (u, v) to the page's own space (x, y).
    matrix = {
        0: (1, 0, 0, 1, x0, y0),
        90: (0, 1, -1, 0, x1, y0),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, -1, 1, 0, x0, y1),
    }.get(rotate, (1, 0, 0, 1, x0, y0))

    size = STAMP_SIZE
    edge = min(18.0, height / 20)
    texts: list[tuple[str, float, str, float, float]] = []
    if marking:
        # At most the middle 60 % of the width: clear of the page label at the right.
        points = _fitting(marking, STAMP_BOLD, size, width * 0.6)
        across = stringWidth(marking, STAMP_BOLD, points)
        texts.append(("/PPUDBold", points, marking, (width - across) / 2, height - edge - size + 2))
        texts.append(("/PPUDBold", points, marking, (width - across) / 2, edge))
    if label:
        across = stringWidth(label, STAMP_FONT, size)
        texts.append(("/PPUDRegular", size, label, width - min(36.0, width / 12) - across, edge))
    if note:
        # Smaller until it fits the page's width: a long name must not run off.
        small = _fitting(note, STAMP_FONT, size, width - 2 * edge)
        across = stringWidth(note, STAMP_FONT, small)
        texts.append(("/PPUDRegular", small, note, (width - across) / 2, edge + size + 3))
    operators = " ".join(
        f"BT {font} {points:.2f} Tf {x:.2f} {y:.2f} Td ({_pdf_text(text)}) Tj ET"
        for font, points, text, x, y in texts
    )

    resources = page.obj.get("/Resources")
    if not isinstance(resources, pikepdf.Dictionary):
        page.obj.Resources = resources = pikepdf.Dictionary()
    page_fonts = resources.get("/Font")
    if not isinstance(page_fonts, pikepdf.Dictionary):
        resources.Font = page_fonts = pikepdf.Dictionary()
    for name, font in fonts.items():
        page_fonts[name] = font
    # The page's own content is fenced in q/Q, so a state it leaves set
    # (a transformation, a colour) cannot move or hide the stamp.
    numbers = " ".join(f"{v:g}" for v in matrix)
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    # Latin-1 carries the WinAnsi bytes of the strings through unchanged.
    stamp = f"\nQ q 0 g {numbers} cm {operators} Q\n".encode("latin-1")
    page.contents_add(pikepdf.Stream(pdf, stamp))


def _fitting(text: str, font: str, size: float, room: float) -> float:
    """size, or smaller so that text fits in room points."""
    return min(size, size * room / max(float(stringWidth(text, font, size)), 1.0))


def stamp_file(source: Path, out: Path, note: str) -> int:
    """A copy of source at out with note on every page; the number of pages stamped."""
    try:
        pdf = pikepdf.open(source)
    except pikepdf.PdfError as exc:
        raise UnusableSource(source.name, "it is not a readable PDF") from exc
    with pdf:
        fonts = standard_fonts(pdf)
        for page in pdf.pages:
            stamp_page(pdf, page, fonts, note=note)
        pdf.save(out)
        return len(pdf.pages)


def _pdf_text(text: str) -> str:
    """text as a PDF string literal's body in WinAnsi: escaped, unknown characters as '?'."""
    encoded = text.encode("cp1252", errors="replace").decode("latin-1")
    return encoded.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
