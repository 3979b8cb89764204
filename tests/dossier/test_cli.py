"""`ppud dossier build`: the builder without the web server, on the same database."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from records.store import Store
from tests.conftest import CLI, File, Ppud
from tests.dossier.test_templates import file_recall_set

Build = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]


@pytest.fixture
def build(ppud: Ppud) -> Build:
    """Run `ppud dossier build CASE --template T --out OUT ...` on the test database."""

    async def run(
        case_id: str, out: Path | str, *extra: str, template: str = "recall"
    ) -> subprocess.CompletedProcess[str]:
        return await ppud(
            "dossier", "build", case_id, "--template", template, "--out", str(out), *extra
        )

    return run


async def test_cli_dossier_build_writes_the_templates_dossier_to_a_file(
    tmp_path: Path, store: Store, build: Build, case: dict[str, Any], file_document: File
) -> None:
    await file_recall_set(file_document)
    out = tmp_path / "recall.pdf"

    done = await build(case["id"], out, "--marking", "OFFICIAL-SENSITIVE")

    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root][:2] == ["Index", "Licence"]
        pages = len(pdf.pages)
    assert f"{pages} pages" in done.stdout
    assert "preparing 1 of 6" in done.stderr
    exported = await store.db["audit"].find_one({"action": "dossier.export"})
    assert exported is not None and exported["detail"]["pages"] == pages
    # Nothing is filed: the file is the only result.
    assert await store.db["documents"].count_documents({"doc_type": "dossier"}) == 0
    left = await asyncio.to_thread(os.listdir, tmp_path)
    assert [name for name in left if name.startswith(".")] == []


async def test_cli_dossier_build_to_a_dash_prints_the_pdf(
    tmp_path: Path, ppud_env: dict[str, str], case: dict[str, Any], file_document: File
) -> None:
    await file_recall_set(file_document)
    command = [*CLI, "dossier", "build", case["id"], "--template", "recall", "--out", "-"]

    done = await asyncio.to_thread(
        subprocess.run,
        command,
        env=ppud_env,
        cwd=tmp_path,
        capture_output=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, done.stderr.decode()
    with pikepdf.open(io.BytesIO(done.stdout)) as pdf:
        pages = len(pdf.pages)
    assert f"wrote standard output: {pages} pages" in done.stderr.decode()
    assert await asyncio.to_thread(os.listdir, tmp_path) == [], "no file named -"


async def test_cli_dossier_build_refusals_are_readable_and_write_nothing(
    tmp_path: Path, build: Build, case: dict[str, Any], file_document: File
) -> None:
    await file_document("office/testPDF.pdf", doc_type="licence")
    out = tmp_path / "d.pdf"

    missing = await build(case["id"], out)
    unknown = await build(case["id"], out, template="nonesuch")
    no_case = await build("0" * 24, out)
    no_folder = await build(case["id"], tmp_path / "absent" / "d.pdf")

    assert missing.returncode == 1
    assert "a recall dossier needs: Part A recall report" in missing.stderr
    assert unknown.returncode == 1 and "the templates are: parole_review, recall" in unknown.stderr
    assert no_case.returncode == 1 and "no case" in no_case.stderr
    assert no_folder.returncode != 0 and "there is no folder" in no_folder.stderr
    for result in (missing, unknown, no_case, no_folder):
        assert "Traceback" not in result.stderr
    assert not out.exists()

    placeholders = await build(case["id"], out, "--placeholders")
    assert placeholders.returncode == 0, placeholders.stderr
    with pikepdf.open(out) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root][-1] == "Documents awaited"


async def test_cli_dossier_build_refuses_targets_it_must_not_write(
    tmp_path: Path, build: Build, case: dict[str, Any], file_document: File
) -> None:
    await file_recall_set(file_document)
    folder = tmp_path / "a-folder"
    folder.mkdir()

    into_folder = await build(case["id"], folder)
    device = await build(case["id"], Path("/dev/null"))
    empty = await build(case["id"], "")

    assert "exists and is not a file" in into_folder.stderr
    assert "exists and is not a file" in device.stderr
    assert into_folder.returncode == device.returncode == empty.returncode == 1
    assert "give --out the path" in empty.stderr
    for result in (into_folder, device, empty):
        assert "Traceback" not in result.stderr


async def test_cli_dossier_build_through_a_symlink_named_as_a_source_keeps_the_link(
    tmp_path: Path, build: Build, case: dict[str, Any], file_document: File
) -> None:
    await file_recall_set(file_document)
    # 0.pdf is also the name the builder gives its first source while it works.
    real = tmp_path / "0.pdf"
    real.write_bytes(b"an older dossier")
    link = tmp_path / "latest.pdf"
    link.symlink_to(real)

    done = await build(case["id"], link)

    assert done.returncode == 0, done.stderr
    assert link.is_symlink()
    with pikepdf.open(real) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root][:2] == ["Index", "Licence"]
    assert sorted(await asyncio.to_thread(os.listdir, tmp_path)) == ["0.pdf", "latest.pdf"]
