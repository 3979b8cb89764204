"""Fonts for the pages the builder draws, with the letters of every name a case may hold.

The PDF standard fonts carry Latin-1 only: a Polish surname, a Greek alias
or an Arabic e-mail would print as boxes or question marks. The DejaVu
family (Debian's fonts-dejavu-core, installed by the set-up) covers Latin,
Greek, Cyrillic, Arabic and Hebrew letters; ReportLab embeds the glyphs
used. Without it the standard fonts are used and such letters are lost.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

logger = logging.getLogger(__name__)

FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"),)
FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "mono": "DejaVuSansMono.ttf"}
STANDARD = {"regular": "Helvetica", "bold": "Helvetica-Bold", "mono": "Courier"}


@dataclass(frozen=True)
class Faces:
    regular: str
    bold: str
    mono: str
    unicode: bool


@functools.cache
def faces() -> Faces:
    """The registered font names; registered once, on first use, not at import."""
    names: dict[str, str] = {}
    for role, filename in FILES.items():
        path = next((folder / filename for folder in FOLDERS if (folder / filename).exists()), None)
        if path is None:
            break
        name = f"PPUD-{path.stem}"
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except TTFError:
            break
        names[role] = name
    if len(names) != len(FILES):
        logger.warning(
            "dossier.fonts.standard_only", extra={"looked_in": [str(f) for f in FOLDERS]}
        )
        return Faces(**STANDARD, unicode=False)
    return Faces(**names, unicode=True)
