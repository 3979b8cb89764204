"""Every corpus file is extracted in a real subprocess and checked by what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from records.media import sniff
from search.extract import tesseract_available
from search.isolation import Limits, run_isolated
from search.worker import ExtractionSettings
from tests.conftest import CORPUS

# A phrase known to be in each file; None where there is no text to find,
# with the status and a word of the reason recorded instead.
EXPECTED: dict[str, tuple[str, str]] = {
    "office/testEXCEL.xlsx": ("done", "Numbers and their Squares"),
    "office/testEmailWithPNGAtt.eml": ("done", "This email has a PNG attachment"),
    "office/testHTML.html": ("done", "Indexation du fichier"),
    "office/testMSG.msg": ("done", "MIME registry use cases"),
    "office/testOCR.jpg": ("done", "OCR Testing"),
    "office/testOCR.png": ("done", "This file contains some words"),
    "office/testODFwithOOo3.odt": ("done", "Tika is part of the Lucene project"),
    "office/testOpenOffice2.odt": ("done", "This is a sample Open Office document"),
    "office/testPDF.pdf": ("done", "Content Analysis Toolkit"),
    "office/testPPT.pptx": ("done", "This is a test file data"),
    "office/testRFC822_multipart_attachments.eml": ("done", "This is Test TXTB File for parser"),
    "office/testRTF.rtf": ("done", "Test d\u2019indexation Word"),
    "office/testTXTNonASCIIUTF8.txt": ("done", "Le renard brun"),
    "office/testWORD.doc": ("done", "Sample Word Document"),
    "office/testWORD.docx": ("done", "This is a sample Microsoft Word Document"),
    "office/testWORD_3imgs.docx": ("done", "The quick brown fox jumps over the lazy dog"),
    "office/testWORD_numbered_list.docx": ("done", "Intervening table"),
    "office/testWORD_protected_passtika.docx": ("failed", "password-protected"),
    "office/testWORD_truncated.docx": ("failed", "could not be read"),
    "office/testWORD_various.docx": ("done", "This is a footnote"),
    "pdf-samples/001-trivial/minimal-document.pdf": ("done", "Lorem ipsum dolor sit amet"),
    "pdf-samples/002-trivial-libre-office-writer/002-trivial-libre-office-writer.pdf": (
        "done",
        "Lorem ipsum dolor sit amet",
    ),
    "pdf-samples/002-trivial-libre-office-writer/source.odt": ("done", "consetetur sadipscing"),
    "pdf-samples/003-pdflatex-image/pdflatex-image.pdf": ("done", "Your Chapter"),
    "pdf-samples/004-pdflatex-4-pages/pdflatex-4-pages.pdf": ("done", "text without a meaning"),
    "pdf-samples/005-libreoffice-writer-password/libreoffice-writer-password.pdf": (
        "failed",
        "password-protected",
    ),
    "pdf-samples/005-libreoffice-writer-password/source.odt": ("done", "Lorem ipsum"),
    "pdf-samples/006-pdflatex-outline/pdflatex-outline.pdf": ("done", "Contents"),
    "pdf-samples/007-imagemagick-images/imagemagick-ASCII85Decode.pdf": ("empty", "no text"),
    "pdf-samples/007-imagemagick-images/imagemagick-CCITTFaxDecode.pdf": ("empty", "no text"),
    "pdf-samples/007-imagemagick-images/imagemagick-images.pdf": ("done", "Background"),
    "pdf-samples/007-imagemagick-images/imagemagick-lzw.pdf": ("empty", "no text"),
    "pdf-samples/008-reportlab-inline-image/inline-image.pdf": ("done", "Test"),
    "pdf-samples/009-pdflatex-geotopo/GeoTopo-komprimiert.pdf": (
        "done",
        "Einführung in die Geometrie und Topologie",
    ),
    "pdf-samples/010-pdflatex-forms/pdflatex-forms.pdf": ("done", "Submit"),
    "pdf-samples/011-google-doc-document/google-doc-document.pdf": (
        "done",
        "Beautiful is better than ugly",
    ),
    "pdf-samples/012-libreoffice-form/libreoffice-form.odt": ("done", "Example for a Form"),
    "pdf-samples/012-libreoffice-form/libreoffice-form.pdf": ("done", "Example for a Form"),
    "pdf-samples/013-reportlab-overlay/reportlab-overlay.pdf": ("done", "Fingerprint"),
    "pdf-samples/014-outlines/mistitled_outlines_example.pdf": ("done", "Contents"),
    "pdf-samples/015-arabic/habibi-oneline-cmap.pdf": ("done", "حَبيبي"),
    "pdf-samples/015-arabic/habibi-rotated.pdf": ("done", "حَبيبي"),
    "pdf-samples/015-arabic/habibi.pdf": ("done", "حَبيبي"),
    "pdf-samples/016-libre-office-link/libre-office-link.pdf": ("done", "link to an awesome blog"),
    "pdf-samples/017-unreadable-meta-data/unreadablemetadata.pdf": ("failed", "could not be read"),
    "pdf-samples/018-base64-image/base64image.pdf": ("done", "PDF Annotator"),
    "pdf-samples/019-grayscale-image/grayscale-image.pdf": ("empty", "no text"),
    "pdf-samples/020-xmp/output_with_metadata_pymupdf.pdf": ("done", "Hello, World!"),
    "pdf-samples/021-pdfa/crazyones-pdfa.pdf": ("done", "Heres to the crazy ones"),
    "pdf-samples/022-pdfkit/pdfkit.pdf": ("done", "Header"),
    "pdf-samples/023-cmyk-image/cmyk-image.pdf": ("empty", "no text"),
    "pdf-samples/024-annotations/annotated_pdf.pdf": ("done", "Not highlighted"),
    "pdf-samples/025-attachment/with-attachment.pdf": ("done", "Lorem ipsum"),
    "pdf-samples/026-latex-multicolumn/multicolumn.pdf": ("done", "Two-Column Document"),
}
SETTINGS = ExtractionSettings(limits=Limits(timeout_seconds=120))


def corpus_files() -> list[str]:
    return sorted(
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix not in (".md", ".json") and p.name != "LICENSE"
    )


def extract_file(path: Path) -> tuple[str, str, str | None]:
    data = path.read_bytes()
    job = SETTINGS.job(sniff(data[:8192], path.name), path.name)
    outcome = run_isolated(path, job, SETTINGS.limits)
    assert not outcome.crashed, outcome.extracted.reason
    found = outcome.extracted
    return found.status, found.text, found.reason


def test_extract_table_names_every_corpus_file() -> None:
    assert set(EXPECTED) == set(corpus_files())


def test_extract_ocr_is_installed_for_the_scanned_images() -> None:
    # The set-up installs Tesseract; without it the two images below would be
    # "skipped" and this suite would prove nothing about OCR.
    assert tesseract_available()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_extract_each_corpus_file_by_its_content(name: str) -> None:
    status, phrase = EXPECTED[name]

    found_status, text, reason = extract_file(CORPUS / name)

    assert found_status == status, reason
    if status == "done":
        assert phrase in " ".join(text.split()), text[:500]
    else:
        assert text == ""
        assert reason is not None and phrase in reason


def test_extract_mail_body_in_a_character_set_python_does_not_know_is_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "unknown.eml"
    path.write_bytes(
        b"Subject: Licence breach\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n"
        b"\r\nHe missed the appointment on Tuesday caf\xe9.\r\n"
    )

    status, text, reason = extract_file(path)

    assert status == "done", reason
    assert "Subject: Licence breach" in text
    assert "He missed the appointment on Tuesday café." in text


def test_extract_mail_nested_two_thousand_deep_keeps_its_words(tmp_path: Path) -> None:
    nested = b"Subject: innermost\r\n\r\nThe innermost note.\r\n"
    for _ in range(2000):
        nested = b"Content-Type: message/rfc822\r\n\r\n" + nested
    path = tmp_path / "deep.eml"
    path.write_bytes(
        b"Subject: Recall papers\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nThe recall papers are attached.\r\n"
        b"--XX\r\n" + nested + b"\r\n--XX--\r\n"
    )

    status, text, reason = extract_file(path)

    assert status == "done", reason
    assert "Subject: Recall papers" in text
    assert "The recall papers are attached." in text and "The innermost note." in text
