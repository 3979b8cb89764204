"""A picture of a version's first page, rendered once and kept on disk by its SHA-256.

The cache is derived data (product.md): removing the folder only means the
pictures are drawn again. A version's bytes never change, so its hash names
its picture for good, whichever document or case it belongs to.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pypdfium2
from PIL import Image, UnidentifiedImageError

from records import files
from records.store import Store

WIDTH = 320
# Rendering is CPU work in a thread; a few at once keep the server answering.
_RENDERING = asyncio.Semaphore(2)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}


class NoThumbnail(Exception):
    """The version is not a PDF or an image, or it could not be drawn."""


def can_draw(version: dict[str, Any]) -> bool:
    return version["media_type"] == "application/pdf" or version["media_type"] in IMAGE_TYPES


def cache_path(data_dir: Path, sha256: str) -> Path:
    if not _SHA256.match(sha256):
        raise ValueError(f"sha256 {sha256[:70]!r} is not a lower-case SHA-256 in hex")
    return data_dir / "thumbnails" / sha256[:2] / f"{sha256}.png"


async def thumbnail(store: Store, data_dir: Path, version: dict[str, Any]) -> Path:
    """The cached PNG of the version's first page, drawn now if it is not there yet."""
    if not can_draw(version):
        raise NoThumbnail(f"a {version['media_type']} file has no picture of its first page")
    target = cache_path(data_dir, version["sha256"])
    if target.is_file():
        return target

    scratch = data_dir / "tmp" / "thumbnails"
    scratch.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="thumbnail-", dir=scratch) as folder:
        source = Path(folder) / "source"
        with source.open("wb") as sink:
            await files.copy_version(store, version, sink)
        drawn = Path(folder) / "drawn.png"
        async with _RENDERING:
            await asyncio.to_thread(
                _draw, source, drawn, pdf=version["media_type"] == "application/pdf"
            )
        # A rename within one file system: a reader sees the whole picture or none.
        os.replace(drawn, target)
    return target


def _draw(source: Path, out: Path, *, pdf: bool) -> None:
    picture = _first_pdf_page(source) if pdf else _image(source)
    picture.thumbnail((WIDTH, WIDTH * 2))
    picture.save(out, format="PNG", optimize=True)


def _first_pdf_page(source: Path) -> Image.Image:
    try:
        document = pypdfium2.PdfDocument(source)
    except pypdfium2.PdfiumError as exc:
        # Password-protected or damaged: there is nothing to draw.
        raise NoThumbnail(f"the PDF could not be opened: {exc}") from exc
    try:
        if len(document) == 0:
            raise NoThumbnail("the PDF has no pages")
        page = document[0]
        scale = WIDTH / max(page.get_width(), 1)
        drawn: Image.Image = page.render(scale=scale).to_pil()
        return drawn.convert("RGB")
    finally:
        document.close()


def _image(source: Path) -> Image.Image:
    try:
        with Image.open(source) as opened:
            opened.seek(0)
            return opened.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise NoThumbnail(f"the image could not be read: {exc}") from exc
