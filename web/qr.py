"""A QR code as inline SVG, so an authenticator app can scan a secret off the page."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(data: str, *, title: str) -> Markup:
    code = segno.make(data, error="m")
    # segno escapes the title itself; the SVG carries no script and no style.
    svg = code.svg_inline(scale=5, border=4, title=title, dark="#0b0c0c", light="#ffffff")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code" ', 1))  # noqa: S704


def grouped(secret: str) -> str:
    """A base32 secret in groups of four, as people type it in."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
