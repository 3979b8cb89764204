"""Will this file go into a dossier? Answered when the dossier is asked for, in milliseconds.

A request is refused at once, naming the file and why, rather than failing
minutes later in the worker. The checks read structure only (a PDF's page
tree, an image's header, a Word file's container and encryption flag); they
do not convert anything, so a file LibreOffice chokes on for reasons no
structure shows is still named by the job that fails.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import extract_msg
import magic
import msoffcrypto
import pikepdf
from extract_msg.msg_classes.message_base import MessageBase
from msoffcrypto.exceptions import FileFormatError
from PIL import Image, UnidentifiedImageError

from dossier_builder.convert import IMAGE_TYPES, MAX_TEXT_BYTES, OFFICE_TYPES, OUTLOOK_TYPES

PROTECTED = "it is protected by a password; file an unprotected copy"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The part of each zip-based format without which there is no document.
_MAIN_PART = {
    ".docx": ("word/document.xml", "a Word"),
    ".odt": ("content.xml", "an OpenDocument"),
}
# Spreadsheets and slides need LibreOffice Calc and Impress, which are not installed.
_REFUSED = {
    "application/encrypted": PROTECTED,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "a spreadsheet",
    "application/vnd.ms-excel": "a spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet": "a spreadsheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "a presentation",
    "application/vnd.ms-powerpoint": "a presentation",
}


def refusal(media_type: str) -> str | None:
    """Why a kind of file never goes into a dossier, in words for the caseworker."""
    reason = _REFUSED.get(media_type)
    if reason is None or reason == PROTECTED:
        return reason
    return f"it is {reason}, which cannot go into a dossier; file a PDF of it instead"


def problem(path: Path, media_type: str) -> str | None:
    """Why the file at path cannot go into a dossier, or None when it looks sound."""
    size = path.stat().st_size
    if size == 0:
        return "it is empty (0 bytes)"
    if media_type == "application/pdf":
        return _pdf(path)
    if media_type in IMAGE_TYPES:
        return _image(path)
    if media_type in OFFICE_TYPES:
        return _office(path, OFFICE_TYPES[media_type])
    if media_type in OUTLOOK_TYPES:
        return _outlook(path)
    if media_type.startswith("text/") or media_type == "message/rfc822":
        return _text(path, size)
    return None


def _text(path: Path, size: int) -> str | None:
    if size > MAX_TEXT_BYTES:
        return "the text file is larger than 20 MiB"
    with path.open("rb") as raw:
        head = raw.read(64 * 1024)
    # Text has few control characters; a file of bytes named .txt has many.
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if controls > len(head) // 20:
        return "it is named as text, but its bytes are not text"
    return None


def _pdf(path: Path) -> str | None:
    try:
        with pikepdf.open(path) as pdf:
            if len(pdf.pages) == 0:
                return "it is a PDF with no pages"
    except pikepdf.PasswordError:
        return "it is a PDF that needs a password to open"
    except pikepdf.PdfError as exc:
        # qpdf repairs what it can while opening; this one it could not. Its
        # message starts with our temporary file's path, which means nothing.
        why = str(exc).rpartition(": ")[2][:200]
        actually = magic.from_file(str(path))
        if not actually.lower().startswith(("pdf", "data")):
            return f"it is named as a PDF, but it is {actually[:80]}"
        return f"it is named as a PDF, but it is not a readable one ({why})"
    return None


def _image(path: Path) -> str | None:
    try:
        with Image.open(path) as image:
            image.verify()
    except Image.DecompressionBombError:
        # Pillow's guard: so many pixels that decoding them could exhaust memory.
        return "the image has too many pixels to lay out (more than Pillow's safe limit)"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return "it is named as an image, but the image cannot be read"
    return None


def _office(path: Path, suffix: str) -> str | None:
    with path.open("rb") as raw:
        head = raw.read(8)
    if suffix == ".rtf":
        return None if head.startswith(b"{\\rtf") else "it is named as RTF, but it is not RTF"
    if _encrypted(path):
        return PROTECTED
    if suffix == ".doc":
        return None if head == _OLE else "it is named as a Word document, but it is not one"
    part, kind = _MAIN_PART[suffix]
    try:
        with zipfile.ZipFile(path) as container:
            if part not in container.namelist():
                return f"it is named as {kind} document, but it is not one"
            if container.testzip() is not None:
                return f"it is {kind} document that is damaged"
            if suffix == ".odt" and b"encryption-data" in _member(
                container, "META-INF/manifest.xml"
            ):
                return PROTECTED
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        return f"it is {kind} document that is damaged or incomplete"
    return None


def _encrypted(path: Path) -> bool:
    with path.open("rb") as raw:
        try:
            return bool(msoffcrypto.OfficeFile(raw).is_encrypted())
        except (FileFormatError, OSError, ValueError, KeyError):
            return False  # not a container msoffcrypto knows: the checks below decide


def _member(container: zipfile.ZipFile, name: str) -> bytes:
    try:
        return container.read(name)
    except KeyError:
        return b""


def _outlook(path: Path) -> str | None:
    try:
        message = extract_msg.openMsg(str(path))
    except (extract_msg.exceptions.ExMsgBaseException, OSError, ValueError):
        return "it is named as an Outlook message, but it is not a readable one"
    try:
        return None if isinstance(message, MessageBase) else "it is an Outlook item, not an e-mail"
    finally:
        message.close()
