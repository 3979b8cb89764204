"""The checks a dossier request runs on each file's bytes, before any job exists."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PIL import Image

from dossier_builder.preflight import problem, refusal
from tests.conftest import CORPUS

OFFICE = CORPUS / "office"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("office/testWORD.docx", DOCX),
        ("office/testWORD.doc", "application/msword"),
        ("office/testOpenOffice2.odt", ODT),
        ("office/testRTF.rtf", "text/rtf"),
        ("office/testMSG.msg", "application/vnd.ms-outlook"),
        ("office/testOCR.png", "image/png"),
        ("office/testPDF.pdf", "application/pdf"),
        ("office/testTXTNonASCIIUTF8.txt", "text/plain"),
    ],
)
def test_preflight_sound_files_pass(name: str, media_type: str) -> None:
    assert problem(CORPUS / name, media_type) is None


@pytest.mark.parametrize(
    ("name", "media_type", "why"),
    [
        ("office/testWORD_truncated.docx", DOCX, "Word document that is damaged or incomplete"),
        ("office/testWORD_protected_passtika.docx", DOCX, "protected by a password"),
        (
            "pdf-samples/005-libreoffice-writer-password/libreoffice-writer-password.pdf",
            "application/pdf",
            "needs a password",
        ),
        ("office/testPDF.pdf", "text/rtf", "named as RTF, but it is not RTF"),
        ("office/testPDF.pdf", "application/msword", "named as a Word document"),
        ("office/testPDF.pdf", "application/vnd.ms-outlook", "not a readable one"),
        ("office/testRTF.rtf", "image/png", "the image cannot be read"),
    ],
)
def test_preflight_names_what_is_wrong(name: str, media_type: str, why: str) -> None:
    found = problem(CORPUS / name, media_type)

    assert found is not None and why in found


def test_preflight_empty_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.touch()

    assert problem(empty, "application/pdf") == "it is empty (0 bytes)"


def test_preflight_zip_without_the_documents_main_part(tmp_path: Path) -> None:
    fake = tmp_path / "fake.odt"
    with zipfile.ZipFile(fake, "w") as container:
        container.writestr("mimetype", "application/vnd.oasis.opendocument.text")

    assert problem(fake, ODT) == "it is named as an OpenDocument document, but it is not one"


def test_preflight_opendocument_with_encrypted_parts(tmp_path: Path) -> None:
    locked = tmp_path / "locked.odt"
    with (
        zipfile.ZipFile(OFFICE / "testOpenOffice2.odt") as source,
        zipfile.ZipFile(locked, "w") as container,
    ):
        for name in source.namelist():
            if name != "META-INF/manifest.xml":
                container.writestr(name, source.read(name))
        # What LibreOffice writes in the manifest of a document saved with a password.
        container.writestr("META-INF/manifest.xml", "<manifest:encryption-data/>")

    found = problem(locked, ODT)

    assert found is not None and "protected by a password" in found


def test_preflight_spreadsheets_and_presentations_are_refused_by_kind() -> None:
    sheet = refusal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    assert sheet is not None and "it is a spreadsheet" in sheet and "file a PDF" in sheet
    assert refusal("application/pdf") is None


def test_preflight_image_with_too_many_pixels_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)  # 400 million pixels, a small file

    found = problem(bomb, "image/png")

    assert found is not None and "too many pixels" in found


def test_preflight_bytes_named_as_text_are_refused(tmp_path: Path) -> None:
    noise = tmp_path / "notes.txt"
    noise.write_bytes(bytes(range(32)) * 200)

    assert problem(noise, "text/plain") == "it is named as text, but its bytes are not text"


def test_preflight_word_file_named_as_a_pdf_says_what_it_is() -> None:
    found = problem(OFFICE / "testWORD.docx", "application/pdf")

    assert found is not None and "named as a PDF, but it is Zip archive" in found
