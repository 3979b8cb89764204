"""What a file is: its type from its bytes, and whether its name is safe to keep."""

from __future__ import annotations

import mimetypes
import unicodedata

import magic

from records.errors import InvalidInput, UnsupportedMediaType
from records.validation import has_control_characters

# libmagic decides from the head of a file; 64 KiB covers the Office and ODF
# members it looks for in nearly every real document.
SNIFF_BYTES = 64 * 1024
MAX_FILENAME = 255

# Containers libmagic names generically; the extension is the better guide
# once the bytes have shown the container is genuine.
_GENERIC = {
    "application/octet-stream",
    "application/zip",
    "application/x-ole-storage",
    "application/cdfv2",
    "text/plain",
}

# Programs have no place in a case file and are a common way to smuggle harm.
REFUSED = {
    "application/x-dosexec",
    "application/x-executable",
    "application/x-pie-executable",
    "application/x-sharedlib",
    "application/x-mach-binary",
    "application/vnd.microsoft.portable-executable",
}

mimetypes.add_type("application/vnd.ms-outlook", ".msg")
mimetypes.add_type("message/rfc822", ".eml")


def sniff(head: bytes, filename: str) -> str:
    """The media type of a file from its first bytes, refined by its extension."""
    detected = magic.from_buffer(head, mime=True).lower()
    if detected in REFUSED:
        raise UnsupportedMediaType(f"files of type {detected} are not accepted")

    guessed, _ = mimetypes.guess_type(filename, strict=False)
    # Plain text may only be refined to another textual type, never to a binary one.
    textual = detected != "text/plain" or (guessed or "").startswith(("text/", "message/"))
    if detected in _GENERIC and guessed and guessed not in REFUSED and textual:
        return guessed
    return detected


def check_filename(raw: str | None) -> str:
    """The filename to keep, or InvalidInput saying what is wrong with it."""
    name = unicodedata.normalize("NFC", (raw or "").strip())
    if not name:
        raise InvalidInput.field("file", "the file part has no filename")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise InvalidInput.field(
            "file", "the filename must be a plain name, without '/', '\\' or '..'"
        )
    if has_control_characters(name):
        raise InvalidInput.field("file", "the filename must not contain control characters")
    if len(name) > MAX_FILENAME:
        raise InvalidInput.field(
            "file", f"the filename is {len(name)} characters; the limit is {MAX_FILENAME}"
        )
    return name
