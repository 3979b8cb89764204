"""A file that crashes, hangs or floods the extractor costs only its subprocess."""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from search.child import read_input
from search.isolation import Limits, run_isolated
from search.worker import ExtractionSettings
from tests.conftest import CORPUS

SETTINGS = ExtractionSettings()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def job(media_type: str = "text/plain", filename: str = "file.txt") -> dict[str, object]:
    return SETTINGS.job(media_type, filename)


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


@pytest.fixture
def some_file(tmp_path: Path) -> Path:
    path = tmp_path / "note.txt"
    path.write_text("A note about the licence conditions.")
    return path


def test_isolation_extracts_in_a_subprocess(some_file: Path) -> None:
    outcome = run_isolated(some_file, job(), SETTINGS.limits)

    assert not outcome.crashed
    assert outcome.extracted.status == "done"
    assert "licence conditions" in outcome.extracted.text


def test_isolation_extractor_that_crashes_is_reported_as_a_crash(some_file: Path) -> None:
    outcome = run_isolated(some_file, job(), Limits(), command=python("import os; os.abort()"))

    assert outcome.crashed
    assert outcome.extracted.status == "failed"
    assert "the file stopped the text extractor" in (outcome.extracted.reason or "")


def test_isolation_extractor_that_hangs_is_killed_at_the_deadline(some_file: Path) -> None:
    started = time.monotonic()

    outcome = run_isolated(
        some_file, job(), Limits(timeout_seconds=1), command=python("import time; time.sleep(60)")
    )

    assert time.monotonic() - started < 30
    assert outcome.crashed
    assert "longer than 1 s" in (outcome.extracted.reason or "")


def test_isolation_extractor_over_its_memory_limit_is_killed(some_file: Path) -> None:
    hog = python(
        "import time; x = bytearray(400 * 2**20); x[::4096] = b'1' * len(x[::4096]); time.sleep(60)"
    )

    outcome = run_isolated(
        some_file, job(), Limits(timeout_seconds=60, memory_bytes=100 * 2**20), command=hog
    )

    assert outcome.crashed
    assert "more than 100 MiB" in (outcome.extracted.reason or "")


def test_isolation_extractor_answer_that_is_not_json_is_a_failure(some_file: Path) -> None:
    outcome = run_isolated(some_file, job(), Limits(), command=python("print('no json here')"))

    assert outcome.crashed
    assert "no readable answer" in (outcome.extracted.reason or "")


def test_isolation_empty_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")

    outcome = run_isolated(path, job("application/pdf", "empty.pdf"), SETTINGS.limits)

    assert outcome.extracted.status == "empty"
    assert outcome.extracted.reason == "the file is empty"


def test_isolation_misleading_extension_is_read_by_content(tmp_path: Path) -> None:
    # A PDF named .docx: the media type comes from the bytes (records/media.py).
    path = tmp_path / "report.docx"
    path.write_bytes((CORPUS / "office" / "testPDF.pdf").read_bytes())

    outcome = run_isolated(path, job("application/pdf", "report.docx"), SETTINGS.limits)

    assert outcome.extracted.status == "done"
    assert "Content Analysis Toolkit" in " ".join(outcome.extracted.text.split())


def test_isolation_zip_bomb_inside_a_docx_is_stopped(tmp_path: Path) -> None:
    # 400 MiB of document.xml compressed to under half a megabyte.
    bomb = tmp_path / "bomb.docx"
    with (
        zipfile.ZipFile(CORPUS / "office" / "testWORD.docx") as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in source.infolist():
            if item.filename != "word/document.xml":
                out.writestr(item, source.read(item))
                continue
            with out.open("word/document.xml", "w", force_zip64=True) as part:
                part.write(b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p><w:r><w:t>')
                block = b" " * 2**20
                for _ in range(400):
                    part.write(block)
                part.write(b"</w:t></w:r></w:p></w:body></w:document>")
    assert bomb.stat().st_size < 2**20

    outcome = run_isolated(bomb, job(DOCX, "bomb.docx"), Limits(timeout_seconds=60))

    assert outcome.extracted.status in ("failed", "empty")
    assert outcome.extracted.reason


def test_isolation_200_mb_text_file_is_truncated_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    line = b"The offender attended every appointment with the probation officer.\n"
    with path.open("wb") as out:
        for _ in range(200 * 2**20 // len(line)):
            out.write(line)

    outcome = run_isolated(path, job("text/plain", "huge.txt"), SETTINGS.limits)

    assert not outcome.crashed
    assert outcome.extracted.status == "done"
    assert outcome.extracted.truncated
    assert len(outcome.extracted.text) == SETTINGS.max_chars
    assert "probation officer" in outcome.extracted.text


def test_isolation_reads_a_long_plain_text_file_only_as_far_as_the_limit(tmp_path: Path) -> None:
    # Four bytes a character at most: 40 bytes can hold the 10 characters kept.
    path = tmp_path / "long.txt"
    path.write_text("Licence condition. " * 100)

    data, cut = read_input(path, "text/plain; charset=utf-8", max_chars=10)

    assert data == path.read_bytes()[:40]
    assert cut


def test_isolation_reads_a_plain_text_file_that_fits_whole(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_bytes(b"x" * 40)

    data, cut = read_input(path, "text/plain", max_chars=10)

    assert len(data) == 40
    assert not cut


def test_isolation_reads_other_types_whole(tmp_path: Path) -> None:
    # Markup and containers spend many bytes on each character of text.
    path = tmp_path / "page.html"
    path.write_text("<p>" * 100)

    data, cut = read_input(path, "text/html", max_chars=10)

    assert data == path.read_bytes()
    assert not cut


def test_isolation_cut_text_file_is_marked_truncated_even_when_its_text_counts_short(
    tmp_path: Path,
) -> None:
    # Stored as plain text but read by Tika as markup: the 80 bytes read give
    # fewer than 20 characters, yet the file went on.
    path = tmp_path / "notes.txt"
    path.write_text("<html><body><p>Recall report</p>" + "<!---->" * 100)

    outcome = run_isolated(path, {**job(), "max_chars": 20}, SETTINGS.limits)

    assert outcome.extracted.status == "done"
    assert outcome.extracted.text.strip() == "Recall report"
    assert outcome.extracted.truncated


def test_isolation_extractor_dies_with_a_killed_worker(tmp_path: Path, some_file: Path) -> None:
    # A stand-in worker runs an extractor that would hang for a minute, then
    # is killed outright, as a deploy or the OOM killer would.
    pid_file = tmp_path / "extractor.pid"
    extractor = (
        "import os, time; from search.extract import die_with_parent; die_with_parent(); "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    )
    worker = subprocess.Popen(
        python(
            "from pathlib import Path; from search.isolation import Limits, run_isolated; "
            f"run_isolated(Path({str(some_file)!r}), {{}}, Limits(), "
            f"command={python(extractor)!r})"
        )
    )
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the extractor never started"
        time.sleep(0.05)
    extractor_pid = int(pid_file.read_text())

    worker.kill()
    worker.wait()

    try:
        extractor_process = psutil.Process(extractor_pid)
    except psutil.NoSuchProcess:
        return  # already gone and reaped
    _, alive = psutil.wait_procs([extractor_process], timeout=10)
    assert not alive, "the extractor outlived its worker"


def test_isolation_ocr_of_a_long_scan_stops_at_its_time_and_keeps_what_it_read(
    tmp_path: Path,
) -> None:
    from PIL import Image, ImageDraw

    from search.extract import Options, ocr_pdf

    pages = []
    for number in range(3):
        page = Image.new("L", (1200, 400), 255)
        ImageDraw.Draw(page).text(
            (50, 150), f"Scanned page number {number + 1}", fill=0, font_size=60
        )
        pages.append(page.convert("RGB"))
    scan = tmp_path / "scan.pdf"
    pages[0].save(scan, save_all=True, append_images=pages[1:])

    text = ocr_pdf(scan.read_bytes(), Options(ocr_until=time.monotonic() - 1))

    assert "page number 1" in text
    assert "page number 2" not in text
    assert "OCR stopped at the time limit after 1 of 3 pages" in text
