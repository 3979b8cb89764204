"""Images, text and e-mail made into PDFs, checked by what the pages show."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from dossier_builder.convert import convertible, to_pdf
from dossier_builder.errors import UnusableSource
from records.media import sniff
from tests.conftest import CORPUS
from tests.dossier.test_bundle import text_of

OFFICE = CORPUS / "office"


def pages_of(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


@pytest.mark.parametrize(
    ("name", "media_type"), [("testOCR.jpg", "image/jpeg"), ("testOCR.png", "image/png")]
)
def test_convert_image_becomes_one_page_with_its_pixels(
    tmp_path: Path, name: str, media_type: str
) -> None:
    out = to_pdf("Scan", OFFICE / name, media_type, tmp_path / "out.pdf")

    assert pages_of(out) == 1
    with pikepdf.open(out) as pdf:
        [image] = list(pdf.pages[0].get_images().values())
        with Image.open(OFFICE / name) as original:
            assert (int(image.Width), int(image.Height)) == original.size


def test_convert_multipage_fax_tiff_keeps_every_page(tmp_path: Path) -> None:
    tiff = tmp_path / "fax.tiff"
    frames = [Image.new("1", (800, 1000), 1) for _ in range(3)]
    frames[0].save(tiff, save_all=True, append_images=frames[1:], compression="group4")

    out = to_pdf("Fax", tiff, "image/tiff", tmp_path / "out.pdf")

    assert pages_of(out) == 3


def test_convert_image_with_transparency_is_flattened_onto_white(tmp_path: Path) -> None:
    png = tmp_path / "alpha.png"
    Image.new("RGBA", (50, 40), (255, 0, 0, 128)).save(png)

    out = to_pdf("Alpha", png, "image/png", tmp_path / "out.pdf")

    assert pages_of(out) == 1


def test_convert_plain_text_wraps_and_keeps_its_words(tmp_path: Path) -> None:
    out = to_pdf("Notes", OFFICE / "testTXTNonASCIIUTF8.txt", "text/plain", tmp_path / "out.pdf")

    assert "The quick brown fox jumps over the lazy dog" in text_of(out, 0)


def test_convert_long_text_runs_over_pages(tmp_path: Path) -> None:
    source = tmp_path / "long.txt"
    source.write_text("\n".join(f"line {n} " + "word " * 40 for n in range(300)))

    out = to_pdf("Long", source, "text/plain", tmp_path / "out.pdf")

    assert pages_of(out) > 5
    assert "line 299" in text_of(out, pages_of(out) - 1)


def test_convert_email_shows_its_headers_body_and_attachments(tmp_path: Path) -> None:
    out = to_pdf(
        "Mail",
        OFFICE / "testRFC822_multipart_attachments.eml",
        "message/rfc822",
        tmp_path / "o.pdf",
    )

    shown = text_of(out, 0)
    assert "From: Bugs Bunny" in shown
    assert "Subject: EML 1" in shown
    assert "This is test email for EML1" in shown
    assert "Attachments:" in shown and "Test TxtA.txt" in shown


def test_convert_pdf_is_used_as_it_is(tmp_path: Path) -> None:
    pdf = CORPUS / "pdf-samples" / "001-trivial" / "minimal-document.pdf"

    assert to_pdf("PDF", pdf, "application/pdf", tmp_path / "o.pdf") == pdf


def test_convert_unreadable_image_is_refused_by_name(tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"not an image at all")

    with pytest.raises(
        UnusableSource, match="'Photo' cannot go into the dossier: the image cannot"
    ):
        to_pdf("Photo", fake, "image/png", tmp_path / "o.pdf")


def test_convert_type_it_cannot_handle_is_refused_by_name(tmp_path: Path) -> None:
    assert not convertible("application/zip")

    with pytest.raises(
        UnusableSource, match="'Archive' cannot go into the dossier: application/zip"
    ):
        to_pdf("Archive", OFFICE / "testWORD.docx", "application/zip", tmp_path / "o.pdf")


WRITER_FILES = {
    "office/testWORD.docx": "This is a sample Microsoft Word Document",
    "office/testWORD.doc": "Sample Word Document",
    "office/testODFwithOOo3.odt": "Apache Tika Test Document",
    "office/testOpenOffice2.odt": "This is a sample Open Office document",
    "office/testRTF.rtf": "indexation Word",
    "office/testWORD_various.docx": "This is a footnote",
}


@pytest.mark.parametrize("name", sorted(WRITER_FILES))
def test_convert_writer_document_through_libreoffice(tmp_path: Path, name: str) -> None:
    source = tmp_path / Path(name).name
    source.write_bytes((CORPUS / name).read_bytes())
    media_type = sniff(source.read_bytes()[:8192], source.name)

    out = to_pdf("Report", source, media_type, tmp_path / "out.pdf")

    shown = " ".join(text_of(out, page) for page in range(pages_of(out)))
    assert WRITER_FILES[name] in shown


def test_convert_libreoffice_output_is_cached_by_the_sources_sha256(tmp_path: Path) -> None:
    source = tmp_path / "report.docx"
    source.write_bytes((OFFICE / "testWORD.docx").read_bytes())
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    cache = tmp_path / "cache"

    first = to_pdf("Report", source, docx, tmp_path / "a.pdf", cache=cache, sha256="ab" * 32)
    source.unlink()  # a second conversion would now fail
    second = to_pdf("Report", source, docx, tmp_path / "b.pdf", cache=cache, sha256="ab" * 32)

    assert first == second == cache / f"{'ab' * 32}.pdf"
    assert pages_of(second) >= 1


def test_convert_truncated_word_file_is_refused_by_name(tmp_path: Path) -> None:
    source = tmp_path / "broken.docx"
    source.write_bytes((OFFICE / "testWORD_truncated.docx").read_bytes())
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    with pytest.raises(
        UnusableSource, match="'Broken' cannot go into the dossier: LibreOffice could not"
    ):
        to_pdf("Broken", source, docx, tmp_path / "o.pdf")


def test_convert_outlook_message_shows_its_headers_and_body(tmp_path: Path) -> None:
    source = OFFICE / "testMSG.msg"
    media_type = sniff(source.read_bytes()[:65536], source.name)

    out = to_pdf("Mail", source, media_type, tmp_path / "o.pdf")

    shown = text_of(out, 0)
    assert "From: Jukka Zitting" in shown
    assert "Subject: MIME registry use cases" in shown
    assert "making the type detection code more modular" in shown


def test_convert_outlook_message_that_is_not_one_is_refused_by_name(tmp_path: Path) -> None:
    fake = tmp_path / "fake.msg"
    fake.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)

    with pytest.raises(UnusableSource) as refused:
        to_pdf("Fake", fake, "application/vnd.ms-outlook", tmp_path / "o.pdf")

    assert "'Fake'" in str(refused.value) and "Outlook" in str(refused.value)


def test_convert_html_is_laid_out_as_its_text_without_fetching_anything(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '<html><body><h1>Visit notes</h1><img src="http://192.0.2.1/x.png">'
        "<p>Seen at home &amp; well.</p><script>alert(1)</script></body></html>"
    )

    out = to_pdf("Page", page, "text/html", tmp_path / "o.pdf")

    shown = text_of(out, 0)
    assert "Visit notes" in shown and "Seen at home & well." in shown
    assert "alert" not in shown


def test_convert_text_in_other_scripts_keeps_its_letters(tmp_path: Path) -> None:
    source = tmp_path / "names.txt"
    words = ["Łukasz Wójcik", "Ελένη Παπαδοπούλου", "Дмитрий Иванов", "شكرا"]
    source.write_text("\n".join(words), encoding="utf-8")

    out = to_pdf("Names", source, "text/plain", tmp_path / "o.pdf")

    shown = text_of(out, 0)
    for word in words[:3]:
        assert word in shown
    assert all(letter in shown for letter in "شكرا")


def test_convert_text_of_one_very_long_line_is_laid_out_in_linear_time(tmp_path: Path) -> None:
    source = tmp_path / "one-line.txt"
    source.write_text("word " * 200_000)  # 1 MB, no line breaks: minutes before, now a second

    out = to_pdf("Long line", source, "text/plain", tmp_path / "o.pdf")

    assert pages_of(out) > 100
    assert "word word" in text_of(out, pages_of(out) - 1)
