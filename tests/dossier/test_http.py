"""Dossiers through the API: asked for, checked at once, built by a worker, filed with manifests."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pikepdf

from dossier_builder.build import DossierWorker
from records.store import Store
from tests.conftest import CORPUS, Clock, File, MakeUser, User, open_case
from tests.dossier.conftest import ask, built, manifest_of, of_one, pages_of
from tests.dossier.test_bundle import text_of

MIXED = [
    "pdf-samples/001-trivial/minimal-document.pdf",
    "pdf-samples/004-pdflatex-4-pages/pdflatex-4-pages.pdf",
    "pdf-samples/006-pdflatex-outline/pdflatex-outline.pdf",
    "pdf-samples/010-pdflatex-forms/pdflatex-forms.pdf",
    "pdf-samples/011-google-doc-document/google-doc-document.pdf",
    "pdf-samples/012-libreoffice-form/libreoffice-form.pdf",
    "pdf-samples/013-reportlab-overlay/reportlab-overlay.pdf",
    "pdf-samples/014-outlines/mistitled_outlines_example.pdf",
    "pdf-samples/015-arabic/habibi.pdf",
    "pdf-samples/015-arabic/habibi-rotated.pdf",
    "pdf-samples/016-libre-office-link/libre-office-link.pdf",
    "pdf-samples/020-xmp/output_with_metadata_pymupdf.pdf",
    "pdf-samples/021-pdfa/crazyones-pdfa.pdf",
    "pdf-samples/022-pdfkit/pdfkit.pdf",
    "pdf-samples/024-annotations/annotated_pdf.pdf",
    "pdf-samples/025-attachment/with-attachment.pdf",
    "pdf-samples/026-latex-multicolumn/multicolumn.pdf",
    "office/testPDF.pdf",
    "office/testOCR.png",
    "office/testOCR.jpg",
    "office/testTXTNonASCIIUTF8.txt",
    "office/testRFC822_multipart_attachments.eml",
]


async def test_dossier_of_22_mixed_corpus_files_is_built_filed_and_navigable(
    caseworker: User, case: dict[str, Any], file_document: File, dossier_worker: DossierWorker
) -> None:
    filed = [await file_document(name, title=Path(name).stem) for name in MIXED]
    body = {
        "title": "Recall dossier",
        "sections": [
            {"title": "Part A", "items": [{"document_id": d["id"]} for d in filed[:10]]},
            {
                "title": "Part B",
                "items": [{"document_id": d["id"]} for d in filed[10:]],
                "divider": True,
            },
        ],
        "options": {"marking": "OFFICIAL-SENSITIVE", "missing": "placeholder"},
    }

    asked = await ask(caseworker, case["id"], body)
    assert asked.status_code == 202, asked.text
    job_id = asked.json()["job_id"]
    assert asked.headers["location"] == f"/api/v1/jobs/{job_id}"
    queued = (await caseworker.client.get(f"/jobs/{job_id}")).json()
    assert (queued["state"], queued["progress"]) == ("queued", 0.0)

    assert await dossier_worker.run_once()

    job = (await caseworker.client.get(f"/jobs/{job_id}")).json()
    assert job["state"] == "done", job
    assert job["progress"] == 1.0
    dossier_id = job["result"]["document_id"]
    document = (await caseworker.client.get(f"/documents/{dossier_id}")).json()
    assert document["doc_type"] == "dossier" and document["title"] == "Recall dossier"
    content = (await caseworker.client.get(f"/documents/{dossier_id}/content")).content
    expected_source_pages = sum(pages_of(name) for name in MIXED)
    awaited = 6  # none of a recall's mandatory types was filed: a page for each
    with pikepdf.open(io.BytesIO(content)) as pdf:
        # Cover, one index page, a divider for Part B, every source page, the awaited.
        assert len(pdf.pages) == 1 + 1 + 1 + expected_source_pages + awaited
        labels = [pikepdf.Page(p).label for p in pdf.pages]
        assert labels[:3] == ["i", "ii", "1"]
        with pdf.open_outline() as outline:
            titles = [i.title for i in outline.root]
            assert titles == ["Index", "Part A", "Part B", "Documents awaited"]
            assert len(outline.root[1].children) == 10 and len(outline.root[2].children) == 12
            assert outline.root[3].children[0].title == "Licence"
    manifest = (await caseworker.client.get(f"/documents/{dossier_id}/manifest")).json()
    sources, placeholders = manifest["sources"][:-awaited], manifest["sources"][-awaited:]
    assert [s["document_id"] for s in sources] == [d["id"] for d in filed]
    assert all(p["awaited"] and p["document_id"] is None for p in placeholders)
    assert all(
        s["sha256"] == d["versions"][0]["sha256"] for s, d in zip(sources, filed, strict=True)
    )
    assert sources[0]["first_page"] == 1
    assert manifest["printed_pages"] == expected_source_pages + 1 + awaited
    assert placeholders[-1]["last_page"] == manifest["printed_pages"]
    assert manifest["request"]["options"]["marking"] == "OFFICIAL-SENSITIVE"


async def test_dossier_request_names_every_problem_at_once(
    caseworker: User, case: dict[str, Any], file_document: File, make_user: MakeUser
) -> None:
    locked = await file_document(
        "pdf-samples/005-libreoffice-writer-password/libreoffice-writer-password.pdf",
        title="Locked",
    )
    sheet = await file_document("office/testEXCEL.xlsx", title="Spreadsheet")
    fine = await file_document("office/testPDF.pdf", title="Fine")
    body = {
        "title": "D",
        "sections": [
            {
                "title": "S",
                "items": [
                    {"document_id": locked["id"]},
                    {"document_id": sheet["id"]},
                    {"document_id": fine["id"], "version": 7},
                    {"document_id": "0" * 24},
                ],
            }
        ],
        "options": {"page_label": "{page.__class__}", "colour": "red"},
    }

    response = await ask(caseworker, case["id"], body)

    assert response.status_code == 422, response.text
    problems = {p["field"]: p["message"] for p in response.json()["errors"]}
    assert "needs a password" in problems["sections[0].items[0]"]
    assert "'Spreadsheet'" in problems["sections[0].items[1]"]
    assert "no version 7" in problems["sections[0].items[2]"]
    assert "there is no document" in problems["sections[0].items[3]"]
    assert "may use only {page} and {pages}" in problems["options.page_label"]
    assert "is not an option" in problems["options.colour"]


async def test_dossier_request_refuses_another_cases_document(
    caseworker: User, case: dict[str, Any], file_document: File, offender: dict[str, Any]
) -> None:
    other = await open_case(caseworker.client, offender["id"], title="Other")
    elsewhere = await file_document("office/testPDF.pdf", case_id=other["id"])

    response = await ask(caseworker, case["id"], of_one(elsewhere))

    assert response.status_code == 422
    assert "belongs to another case" in response.text


async def test_dossier_and_its_job_are_hidden_from_another_team(
    caseworker: User, case: dict[str, Any], file_document: File, make_user: MakeUser
) -> None:
    document = await file_document("office/testPDF.pdf")
    asked = await ask(caseworker, case["id"], of_one(document))
    stranger = await make_user("caseworker", team="north")
    viewer = await make_user("viewer")

    assert (await stranger.client.get(f"/jobs/{asked.json()['job_id']}")).status_code == 404
    assert (await ask(stranger, case["id"], {"title": "D", "sections": []})).status_code == 404
    refused = await ask(viewer, case["id"], {"title": "D", "sections": []})
    assert refused.status_code == 403


async def test_dossier_job_interrupted_mid_build_is_retried_and_files_one_dossier(
    store: Store,
    clock: Clock,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
    dossier_worker: DossierWorker,
) -> None:
    document = await file_document("office/testPDF.pdf")
    asked = await ask(caseworker, case["id"], of_one(document))
    job_id = asked.json()["job_id"]
    # A worker claims the job and dies without a word.
    from records import jobs

    claimed = await jobs.claim(store, "dossier", "dead-worker")
    assert claimed is not None
    assert not await dossier_worker.run_once()  # still leased to the dead one
    before = await store.db["documents"].count_documents({"doc_type": "dossier"})

    clock.advance(timedelta(minutes=5))
    assert await dossier_worker.run_once()

    job = (await caseworker.client.get(f"/jobs/{job_id}")).json()
    assert job["state"] == "done"
    assert before == 0
    assert await store.db["documents"].count_documents({"doc_type": "dossier"}) == 1


async def test_dossier_missing_mandatory_documents_are_refused_with_their_list(
    caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    licence = await file_document("office/testPDF.pdf", doc_type="licence")
    body = of_one(licence)
    del body["options"]

    response = await ask(caseworker, case["id"], body)

    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["field"] == "sections"
    assert (
        "a recall dossier needs: Part A recall report, Previous convictions" in problem["message"]
    )
    assert "Licence" not in problem["message"].split("needs:")[1].split(";")[0]


async def test_dossier_of_a_case_type_without_requirements_needs_no_placeholders(
    caseworker: User, offender: dict[str, Any], file_document: File, dossier_worker: DossierWorker
) -> None:
    review = await open_case(
        caseworker.client, offender["id"], case_type="parole_review", title="Review"
    )
    document = await file_document("office/testPDF.pdf", case_id=review["id"])
    body = of_one(document)
    del body["options"]

    job = await built(caseworker, dossier_worker, review["id"], body)

    manifest = await manifest_of(caseworker, job)
    assert [s["awaited"] for s in manifest["sources"]] == [False]


# Every corpus file that cannot go into a dossier, and the words that say why.
REFUSED_IN_CORPUS = {
    "office/testEXCEL.xlsx": "spreadsheet",
    "office/testPPT.pptx": "presentation",
    "office/testWORD_protected_passtika.docx": "protected by a password",
    "office/testWORD_truncated.docx": "Word document that is damaged or incomplete",
    "pdf-samples/005-libreoffice-writer-password/libreoffice-writer-password.pdf": "password",
    "pdf-samples/files.json": "application/json files cannot be put into a dossier",
    "pdf-samples/017-unreadable-meta-data/unreadablemetadata.pdf": "pages tree has no /Kids",
}


async def test_dossier_every_corpus_file_goes_in_or_is_refused_by_name(
    caseworker: User, case: dict[str, Any], file_document: File, dossier_worker: DossierWorker
) -> None:
    names = sorted(
        str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file() and p.stat().st_size
    )
    filed = {name: await file_document(name, title=name) for name in names}
    everything = {
        "title": "Everything",
        "sections": [{"title": "All", "items": [{"document_id": d["id"]} for d in filed.values()]}],
        "options": {"missing": "placeholder"},
    }

    refused = await ask(caseworker, case["id"], everything)

    assert refused.status_code == 422
    problems = {p["field"]: p["message"] for p in refused.json()["errors"]}
    by_name = {
        problems[f"sections[0].items[{n}]"].split("'")[1]: problems[f"sections[0].items[{n}]"]
        for n, name in enumerate(filed)
        if f"sections[0].items[{n}]" in problems
    }
    assert set(by_name) == set(REFUSED_IN_CORPUS)
    for name, why in REFUSED_IN_CORPUS.items():
        assert why in by_name[name], by_name[name]

    accepted = [d for name, d in filed.items() if name not in REFUSED_IN_CORPUS]
    everything["sections"][0]["items"] = [{"document_id": d["id"]} for d in accepted]
    job = await built(caseworker, dossier_worker, case["id"], everything)
    manifest = await manifest_of(caseworker, job)
    placed = [s for s in manifest["sources"] if not s["awaited"]]
    assert [s["document_id"] for s in placed] == [d["id"] for d in accepted]
    assert all(s["last_page"] >= s["first_page"] for s in placed)


async def test_dossier_file_whose_bytes_are_not_its_named_type(
    caseworker: User, case: dict[str, Any], file_document: File, dossier_worker: DossierWorker
) -> None:
    noise = await file_document(
        "scan.pdf", content=random.Random(7).randbytes(16384), title="Noise"
    )
    word = await file_document("report.docx", content=b"PK\x03\x04" + b"\0" * 500, title="Word")
    image = await file_document("photo.png", content=b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    # Named a Word file, but a PDF inside: its bytes decide, and it goes in as a PDF.
    disguised = await file_document(
        "letter.docx", content=(CORPUS / "office/testPDF.pdf").read_bytes(), title="Disguised"
    )
    items = [{"document_id": d["id"]} for d in (noise, word, image, disguised)]
    body = {"title": "D", "sections": [{"title": "S", "items": items}]}
    body["options"] = {"missing": "placeholder"}

    response = await ask(caseworker, case["id"], body)

    assert response.status_code == 422
    problems = {p["field"]: p["message"] for p in response.json()["errors"]}
    assert "named as a PDF, but it is not a readable one" in problems["sections[0].items[0]"]
    assert "Word" in problems["sections[0].items[1]"]
    assert "image cannot be read" in problems["sections[0].items[2]"]
    assert "sections[0].items[3]" not in problems
    assert disguised["versions"][0]["media_type"] == "application/pdf"


async def test_dossier_source_with_an_invalid_date_in_its_metadata(
    tmp_path: Path,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
    dossier_worker: DossierWorker,
) -> None:
    with pikepdf.open(CORPUS / "office/testPDF.pdf") as pdf:
        pdf.docinfo["/CreationDate"] = "D:2023-99-99T25:61"
        pdf.docinfo["/ModDate"] = "yesterday"
        pdf.save(tmp_path / "dated.pdf")
    dated = await file_document("dated.pdf", content=(tmp_path / "dated.pdf").read_bytes())

    job = await built(caseworker, dossier_worker, case["id"], of_one(dated))

    manifest = await manifest_of(caseworker, job)
    assert manifest["sources"][0]["document_id"] == dated["id"]


async def test_dossier_same_request_over_the_same_versions_builds_the_same_pages(
    tmp_path: Path,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
    dossier_worker: DossierWorker,
) -> None:
    filed = [await file_document(name, title=Path(name).stem) for name in MIXED[:6]]
    body = {
        "title": "Twice",
        "sections": [{"title": "All", "items": [{"document_id": d["id"]} for d in filed]}],
        "options": {"marking": "OFFICIAL", "missing": "placeholder"},
    }
    texts = []
    for attempt in range(2):
        job = await built(caseworker, dossier_worker, case["id"], body)
        content = await caseworker.client.get(f"/documents/{job['result']['document_id']}/content")
        path = tmp_path / f"{attempt}.pdf"
        path.write_bytes(content.content)
        with pikepdf.open(path) as pdf:
            texts.append([text_of(path, n) for n in range(len(pdf.pages))])

    assert texts[0] == texts[1]
    assert len(texts[0]) > 6


async def test_dossier_request_with_too_many_items_is_refused_before_any_is_read(
    caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf")
    items = [{"document_id": document["id"]}] * 20_000
    body = {"title": "D", "sections": [{"title": "S", "items": items}]}

    response = await ask(caseworker, case["id"], body)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "sections", "message": "may hold at most 500 documents in all"}
    ]


async def test_dossier_request_items_with_stray_fields_or_odd_versions(
    caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf")
    items = [
        {"document_id": document["id"], "extra": 1},
        {"document_id": document["id"], "version": "1"},
        {"document_id": document["id"], "version": True},
        {"document_id": document["id"], "version": None},
    ]
    body = {
        "title": "D",
        "sections": [{"title": "S", "bogus": 2, "items": items}],
        "options": {"missing": "placeholder"},
    }

    response = await ask(caseworker, case["id"], body)

    assert response.status_code == 422
    problems = {p["field"]: p["message"] for p in response.json()["errors"]}
    assert set(problems) == {
        "sections[0].bogus",
        "sections[0].items[0].extra",
        "sections[0].items[1].version",
        "sections[0].items[2].version",
    }
    assert "whole number" in problems["sections[0].items[1].version"]
