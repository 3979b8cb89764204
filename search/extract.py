"""Text out of a stored file: Apache Tika, the standard library for e-mail, Tesseract for scans.

Everything here runs inside the extraction subprocess (`search.child`), never
in the web server or the worker: Tika takes 100-190 MB per file and a hostile
file may crash or hang it.
"""

from __future__ import annotations

import contextlib
import ctypes
import email
import email.parser
import email.policy
import html.parser
import logging
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol

import httpx

logger = logging.getLogger(__name__)

Status = Literal["done", "empty", "skipped", "failed"]

# Types that carry no text Tika could give us (an image carries some only by OCR).
_NO_TEXT_PREFIXES = ("audio/", "video/", "font/")
# Not application/zip: a .docx whose first bytes were all the sniffer saw is one.
_NO_TEXT_TYPES = {
    "application/gzip",
    "application/x-7z-compressed",
    "application/x-rar",
    "application/x-tar",
}
_EMAIL_TYPES = {"message/rfc822"}
PR_SET_PDEATHSIG = 1
# Tika's placeholder types for files it recognised but could not open.
_PROTECTED_MARKERS = ("protected", "encrypted")


@dataclass(frozen=True)
class Extracted:
    status: Status
    text: str = ""
    reason: str | None = None
    truncated: bool = False


@dataclass(frozen=True)
class Options:
    max_chars: int = 5_000_000
    ocr: bool = True
    ocr_max_pages: int = 20
    ocr_timeout_seconds: int = 60
    # Where OCR's page images go: the worker's scratch folder, which it clears.
    scratch: Path | None = None
    # time.monotonic() by which OCR stops taking new pages, so a long scan
    # gives the pages read so far instead of dying at the extraction deadline.
    ocr_until: float | None = None


class Extractor(Protocol):
    """Plain text and Tika's metadata for one file's bytes."""

    name: str

    def text_of(self, data: bytes, max_chars: int) -> tuple[str, dict[str, list[str]]]: ...


class EmbeddedTika:
    """Tika compiled to native code (iscc-tika): no JVM, no server."""

    name = "tika-embedded"

    def __init__(self) -> None:
        import iscc_tika  # imported here: the web server never loads Tika

        self._module = iscc_tika
        self._extractor = iscc_tika.Extractor()

    def text_of(self, data: bytes, max_chars: int) -> tuple[str, dict[str, list[str]]]:
        # The setter returns a configured copy; the original keeps its 500,000 limit.
        extractor = self._extractor.set_extract_string_max_length(max_chars)
        try:
            text, metadata = extractor.extract_bytes_to_string(bytearray(data))
        except Exception as exc:  # iscc-tika raises TypeError for every parse failure
            raise TikaRefused(_tika_reason(str(exc))) from exc
        return str(text), {str(k): [str(v) for v in vs] for k, vs in dict(metadata).items()}


class TikaServer:
    """An Apache Tika server (PPUD_TIKA_URL), as docker-compose.yml runs it."""

    name = "tika-server"

    def __init__(self, url: str, timeout_seconds: float) -> None:
        self._url = url.rstrip("/")
        self._timeout = timeout_seconds

    def text_of(self, data: bytes, max_chars: int) -> tuple[str, dict[str, list[str]]]:
        headers = {"Accept": "application/json", "writeLimit": str(max_chars)}
        try:
            response = httpx.put(
                f"{self._url}/rmeta/text", content=data, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise TikaRefused(f"the Tika server could not be reached: {exc}") from exc
        if response.status_code == 422:
            raise TikaRefused("the Tika server could not parse the file (encrypted or corrupt)")
        if response.status_code != 200:
            raise TikaRefused(f"the Tika server answered {response.status_code}")
        parts = response.json()
        first = parts[0] if parts else {}
        text = "\n".join(str(p.get("X-TIKA:content", "")) for p in parts)
        metadata = {k: v if isinstance(v, list) else [str(v)] for k, v in first.items()}
        return text, metadata


class TikaRefused(Exception):
    """Tika could not read the file; the message is the reason to record."""


def _tika_reason(message: str) -> str:
    # Java's message names parser classes and Tika's own error codes, which mean
    # nothing to a caseworker and are internals no client should see; nor is it
    # logged, since a parser's message may quote the document.
    del message
    return "the file could not be read; it may be damaged or of a kind not recognised"


def extract(
    tika: Extractor, data: bytes, media_type: str, filename: str, options: Options
) -> Extracted:
    """The file's text, or why there is none."""
    if not data:
        return Extracted("empty", reason="the file is empty")
    if media_type in _EMAIL_TYPES or filename.lower().endswith(".eml"):
        return _finish(message_text(tika, data, options), options)
    if media_type.startswith("image/"):
        return _image(data, options)
    if media_type.startswith(_NO_TEXT_PREFIXES) or media_type in _NO_TEXT_TYPES:
        return Extracted("skipped", reason=f"{media_type} files carry no text to index")

    try:
        text, metadata = tika.text_of(data, options.max_chars)
    except TikaRefused as exc:
        return Extracted("failed", reason=str(exc))
    tika_type = " ".join(metadata.get("Content-Type", []))
    warnings = " ".join(metadata.get("X-TIKA:warning", []))
    if any(m in tika_type or m in warnings.lower() for m in _PROTECTED_MARKERS):
        return Extracted("failed", reason="the file is password-protected or encrypted")
    if not text.strip() and media_type == "application/pdf" and options.ocr:
        text = ocr_pdf(data, options)
    return _finish(text, options)


def _finish(text: str, options: Options) -> Extracted:
    text = text.replace("\x00", "")
    if not text.strip():
        return Extracted("empty", reason="no text was found in the file")
    # Tika stops at the limit without saying so; reaching it is the sign.
    truncated = len(text) >= options.max_chars
    return Extracted("done", text=text[: options.max_chars], truncated=truncated)


# --- e-mail ------------------------------------------------------------------


class _HtmlText(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def message_text(tika: Extractor, data: bytes, options: Options) -> str:
    """Headers, body and every attachment's text of an RFC 822 message.

    Embedded Tika dropped the subject and the plain body of a simple .eml, so
    the message itself is read with the standard library; only attachments
    (other than nested messages and text parts) go through Tika.
    """
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        lines = _header_lines(message)
        for part in message.walk():
            if part.is_multipart():
                continue
            lines.append(_part_text(tika, part, options))
    except RecursionError:
        # Messages attached inside messages a thousand deep: the standard
        # library's parser recurses once a level. The raw text keeps every
        # plain word of it searchable instead of none.
        return _raw_message_text(data)
    return "\n".join(line for line in lines if line)


def _header_lines(message: EmailMessage) -> list[str]:
    return [
        f"{name}: {message[name]}"
        for name in ("From", "To", "Cc", "Subject", "Date")
        if message[name] is not None
    ]


def _raw_message_text(data: bytes) -> str:
    head = email.parser.BytesParser(policy=email.policy.default).parsebytes(data, headersonly=True)
    assert isinstance(head, EmailMessage)
    return "\n".join([*_header_lines(head), _decoded(data)])


def _decoded(raw: bytes) -> str:
    """Bytes whose character set is unknown: UTF-8 when they are, else Windows-1252."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _part_text(tika: Extractor, part: EmailMessage, options: Options) -> str:
    content_type = part.get_content_type()
    filename = part.get_filename() or ""
    if content_type in ("text/plain", "text/html") and not filename:
        text = _text_content(part)
        return html_text(text) if content_type == "text/html" else text
    try:
        payload = part.get_payload(decode=True)
    except ValueError:  # a broken transfer encoding
        return ""
    if not isinstance(payload, bytes) or not payload:
        return ""
    if content_type.startswith("image/"):
        found = _image(payload, options)
        return f"{filename}\n{found.text}".strip()
    try:
        text, _ = tika.text_of(payload, options.max_chars)
    except TikaRefused:
        return filename
    return f"{filename}\n{text}".strip()


def _text_content(part: EmailMessage) -> str:
    """A text part's text; one naming a character set Python does not know is still read.

    Real mail names sets such as unknown-8bit, and a body dropped for its
    label would leave the message unsearchable with nothing said.
    """
    try:
        return str(part.get_content())
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        return _decoded(payload) if isinstance(payload, bytes) else ""


# --- OCR ---------------------------------------------------------------------


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def _image(data: bytes, options: Options) -> Extracted:
    if not options.ocr or not tesseract_available():
        return Extracted("skipped", reason="an image carries text only by OCR, which is off")
    with tempfile.TemporaryDirectory(prefix="ocr-", dir=options.scratch) as folder:
        path = Path(folder) / "image"
        path.write_bytes(data)
        text = _tesseract(path, options)
    return _finish(text, options)


def ocr_pdf(data: bytes, options: Options) -> str:
    """Render the first pages of a PDF with no text layer and read them with Tesseract."""
    if not tesseract_available():
        return ""
    import pypdfium2  # only OCR needs a renderer

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return ""
    texts: list[str] = []
    wanted = min(len(document), options.ocr_max_pages)
    with tempfile.TemporaryDirectory(prefix="ocr-", dir=options.scratch) as folder:
        for number in range(wanted):
            if number and options.ocr_until is not None and time.monotonic() > options.ocr_until:
                texts.append(f"[OCR stopped at the time limit after {number} of {wanted} pages]")
                break
            bitmap = document[number].render(scale=200 / 72)
            path = Path(folder) / f"page-{number}.png"
            bitmap.to_pil().save(path)
            texts.append(_tesseract(path, options))
    document.close()
    return "\n".join(texts)


def die_with_parent() -> None:
    """Linux: have the kernel kill this process when its parent dies, even by kill -9."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _tesseract(path: Path, options: Options) -> str:
    try:
        done = subprocess.run(
            ["tesseract", str(path), "-", "-l", "eng"],
            capture_output=True,
            timeout=options.ocr_timeout_seconds,
            check=False,
            # Tesseract dies with this process: no orphan goes on reading pages.
            preexec_fn=die_with_parent,  # safe: this process runs one thread
        )
    except subprocess.TimeoutExpired:
        logger.warning("ocr.timeout", extra={"seconds": options.ocr_timeout_seconds})
        return ""
    return done.stdout.decode("utf-8", errors="replace")
