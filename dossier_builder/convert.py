"""Sources that are not PDFs, made into PDFs: images losslessly, text and e-mail laid out,
Word, OpenDocument and RTF through LibreOffice.

LibreOffice takes 1.3-1.5 s and about 200 MB per document (measured), so its
output is kept in a cache named by the source version's SHA-256 and a
document is converted once however many dossiers include it. Each
conversion has a profile of its own (two at once would share and corrupt
one) and a deadline.
"""

from __future__ import annotations

import email
import email.policy
import io
import os
import shutil
import signal
import subprocess
import tempfile
from email.message import EmailMessage
from pathlib import Path

import extract_msg
import img2pdf
from extract_msg.msg_classes.message_base import MessageBase
from PIL import Image, UnidentifiedImageError
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from dossier_builder.errors import UnusableSource
from dossier_builder.fonts import faces
from dossier_builder.pages import MARGIN
from search.extract import html_text

IMAGE_TYPES = {"image/jpeg", "image/png", "image/tiff", "image/gif", "image/bmp"}
TEXT_TYPES = {"text/plain", "text/csv", "text/markdown"}
# HTML is laid out as its text: LibreOffice would fetch what the page links to.
HTML_TYPES = {"text/html", "application/xhtml+xml"}
EMAIL_TYPES = {"message/rfc822"}
OUTLOOK_TYPES = {"application/vnd.ms-outlook"}
OFFICE_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/msword": ".doc",
    "application/vnd.oasis.opendocument.text": ".odt",
    "text/rtf": ".rtf",
    "application/rtf": ".rtf",
}
CONVERT_TIMEOUT_SECONDS = 120
SIZE, LEADING = 9.5, 12.0
MAX_TEXT_BYTES = 20 * 1024 * 1024


def libreoffice() -> str | None:
    return shutil.which("soffice")


def convertible(media_type: str, filename: str = "") -> bool:
    return (
        media_type == "application/pdf"
        or media_type in IMAGE_TYPES
        or media_type in TEXT_TYPES
        or media_type in HTML_TYPES
        or media_type in EMAIL_TYPES
        or media_type in OUTLOOK_TYPES
        or filename.lower().endswith(".eml")
        or (media_type in OFFICE_TYPES and libreoffice() is not None)
    )


def to_pdf(
    title: str,
    source: Path,
    media_type: str,
    out: Path,
    *,
    cache: Path | None = None,
    sha256: str | None = None,
) -> Path:
    """A PDF of source at out (or source itself when it is one); UnusableSource if not possible.

    With cache and sha256, a LibreOffice conversion is looked up and kept there.
    """
    if media_type == "application/pdf":
        return source
    if media_type in OFFICE_TYPES:
        return _office(title, source, OFFICE_TYPES[media_type], cache, sha256)
    if media_type in IMAGE_TYPES:
        out.write_bytes(_image(title, source))
    elif media_type in EMAIL_TYPES or source.suffix.lower() == ".eml":
        out.write_bytes(_message(title, source))
    elif media_type in OUTLOOK_TYPES:
        out.write_bytes(_outlook(title, source))
    elif media_type in TEXT_TYPES:
        out.write_bytes(_text_pages(title, [], _read_text(title, source)))
    elif media_type in HTML_TYPES:
        out.write_bytes(_text_pages(title, [], html_text(_read_text(title, source))))
    else:
        raise UnusableSource(title, f"{media_type} files cannot be put into a PDF here")
    return out


def _office(title: str, source: Path, suffix: str, cache: Path | None, sha256: str | None) -> Path:
    kept = cache / f"{sha256}.pdf" if cache is not None and sha256 else None
    if kept is not None and kept.exists():
        return kept
    program = libreoffice()
    if program is None:
        raise UnusableSource(
            title, "Word and OpenDocument files need LibreOffice, not installed here"
        )
    with tempfile.TemporaryDirectory(prefix="convert-", dir=source.parent) as folder:
        work = Path(folder)
        named = work / f"source{suffix}"  # LibreOffice goes by the extension
        shutil.copyfile(source, named)
        command = [
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(named),
        ]
        # Its own process group, so a deadline kills soffice.bin too, not only
        # the launcher script.
        with subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        ) as running:
            try:
                running.wait(CONVERT_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired as exc:
                os.killpg(running.pid, signal.SIGKILL)
                running.wait()
                raise UnusableSource(
                    title, f"LibreOffice took longer than {CONVERT_TIMEOUT_SECONDS} s to convert it"
                ) from exc
        made = work / "out" / "source.pdf"
        if not made.exists() or made.stat().st_size == 0:
            raise UnusableSource(title, "LibreOffice could not convert it to PDF")
        target = kept if kept is not None else source.with_suffix(".converted.pdf")
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_suffix(f".{os.getpid()}.part")
        shutil.move(made, staged)
        os.replace(staged, target)
    return target


def _image(title: str, source: Path) -> bytes:
    """Every frame of the image as a page, pixels untouched where img2pdf allows."""
    try:
        return bytes(img2pdf.convert(str(source), rotation=img2pdf.Rotation.ifvalid))
    except img2pdf.AlphaChannelError:
        pass  # transparency: flatten onto white below
    except (img2pdf.ImageOpenError, ValueError, OSError) as exc:
        raise UnusableSource(title, f"the image cannot be read ({type(exc).__name__})") from exc
    try:
        with Image.open(source) as image:
            frames = []
            for number in range(getattr(image, "n_frames", 1)):
                image.seek(number)
                flat = Image.new("RGB", image.size, "white")
                flat.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
                buffer = io.BytesIO()
                flat.save(buffer, format="PNG")
                frames.append(buffer.getvalue())
    except Image.DecompressionBombError as exc:
        raise UnusableSource(title, "the image has too many pixels to lay out") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise UnusableSource(title, "the image cannot be read") from exc
    return bytes(img2pdf.convert(frames))


def _read_text(title: str, source: Path) -> str:
    if source.stat().st_size > MAX_TEXT_BYTES:
        raise UnusableSource(title, "the text file is larger than 20 MiB")
    raw = source.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _message(title: str, source: Path) -> bytes:
    message = email.message_from_bytes(source.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    headers = [
        f"{name}: {message[name]}"
        for name in ("From", "To", "Cc", "Date", "Subject")
        if message[name] is not None
    ]
    body, attachments = [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name or part.get_content_disposition() == "attachment":
            attachments.append(f"  {name or 'unnamed'} ({part.get_content_type()})")
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            continue
        if part.get_content_type() == "text/plain":
            body.append(str(content))
        elif part.get_content_type() == "text/html" and not body:
            body.append(html_text(str(content)))
    text = "\n".join(body)
    if attachments:
        text += "\n\nAttachments:\n" + "\n".join(attachments)
    return _text_pages(title, headers, text)


def _outlook(title: str, source: Path) -> bytes:
    """An Outlook .msg as its headers, plain-text body and the names of its attachments."""
    try:
        message = extract_msg.openMsg(str(source))
    except (extract_msg.exceptions.ExMsgBaseException, OSError, ValueError) as exc:
        raise UnusableSource(title, "it is not a readable Outlook message") from exc
    try:
        if not isinstance(message, MessageBase):
            raise UnusableSource(title, "it is an Outlook item, but not an e-mail")
        headers = [
            f"{name}: {value}"
            for name, value in (
                ("From", message.sender),
                ("To", message.to),
                ("Cc", message.cc),
                ("Date", message.date),
                ("Subject", message.subject),
            )
            if value
        ]
        text = str(message.body or "")
        names = [
            f"  {attachment.longFilename or attachment.shortFilename or 'unnamed'}"
            for attachment in message.attachments
        ]
    except (extract_msg.exceptions.ExMsgBaseException, OSError, ValueError) as exc:
        raise UnusableSource(title, "its contents cannot be read") from exc
    finally:
        message.close()
    if names:
        text += "\n\nAttachments:\n" + "\n".join(names)
    return _text_pages(title, headers, text)


def _text_pages(title: str, headers: list[str], text: str) -> bytes:
    """Plain text on A4 pages in a fixed-width font, long lines wrapped."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    width, height = A4
    usable = width - 2 * MARGIN
    y = height - MARGIN

    face = faces()

    def line(content: str, font: str = face.mono) -> None:
        nonlocal y
        if y < MARGIN + 30:
            canvas.showPage()
            y = height - MARGIN
        canvas.setFont(font, SIZE)
        canvas.drawString(MARGIN, y, content)
        y -= LEADING

    for header in headers:
        for piece in _wrap(header, face.bold, usable):
            line(piece, face.bold)
    if headers:
        y -= LEADING
    for raw in text.replace("\r\n", "\n").split("\n"):
        for piece in _wrap(raw.expandtabs(4), face.mono, usable):
            line(piece)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _wrap(text: str, font: str, width: float) -> list[str]:
    """text split into the longest pieces that each fit width; an empty line stays one."""
    text = "".join(c if c.isprintable() else " " for c in text)
    if not text:
        return [""]
    pieces: list[str] = []
    # No line holds more than this many characters, so each search looks at a
    # short window, not the rest of the text: a 20 MB text of one line took
    # quadratic time before (300 KB, a minute).
    most = int(width / (stringWidth("i", font, SIZE) or 1)) + 1
    while text:
        low, high = 1, min(len(text), most)
        while low < high:
            middle = (low + high + 1) // 2
            if stringWidth(text[:middle], font, SIZE) <= width:
                low = middle
            else:
                high = middle - 1
        pieces.append(text[:low])
        text = text[low:]
    return pieces
