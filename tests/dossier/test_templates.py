"""Dossier templates and requirements as data: shipped, applied to cases, edited by admins."""

from __future__ import annotations

import io
from typing import Any

import pikepdf

from dossier_builder.build import DossierWorker
from records.store import Store
from tests.conftest import File, MakeUser, User, open_case
from tests.dossier.conftest import ask, built, manifest_of

RECALL_TYPES = {
    "licence": "office/testPDF.pdf",
    "part_a_recall_report": "pdf-samples/001-trivial/minimal-document.pdf",
    "previous_convictions": "pdf-samples/004-pdflatex-4-pages/pdflatex-4-pages.pdf",
    "pre_sentence_report": "office/testTXTNonASCIIUTF8.txt",
    "oasys_assessment": "office/testOCR.png",
    "charge_sheet": "pdf-samples/022-pdfkit/pdfkit.pdf",
}


async def file_recall_set(file_document: File) -> dict[str, dict[str, Any]]:
    return {
        doc_type: await file_document(name, doc_type=doc_type, title=doc_type.replace("_", " "))
        for doc_type, name in RECALL_TYPES.items()
    }


async def selection(user: User, case_id: str, template: str) -> Any:
    return await user.client.get(f"/cases/{case_id}/dossier-selection?template={template}")


async def test_templates_ship_parole_review_and_recall(caseworker: User) -> None:
    listed = (await caseworker.client.get("/dossier-templates")).json()["items"]

    by_name = {t["name"]: t for t in listed}
    assert set(by_name) == {"parole_review", "recall"}
    review = [s["title"] for s in by_name["parole_review"]["sections"]]
    assert review == ["Part A: information about the prisoner", "Part B: reports"]
    recall = [s["title"] for s in by_name["recall"]["sections"]]
    assert recall[:4] == [
        "Licence",
        "Part A recall report",
        "Revocation order",
        "Reasons for recall",
    ]


async def test_templates_selection_places_documents_by_type_in_date_order(
    caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    later = await file_document(
        "office/testPDF.pdf", doc_type="licence", title="Licence 2024", document_date="2024-05-01"
    )
    earlier = await file_document(
        "office/testPDF.pdf", doc_type="licence", title="Licence 2019", document_date="2019-02-01"
    )
    undated = await file_document("office/testPDF.pdf", doc_type="licence", title="Licence copy")
    letter = await file_document("office/testPDF.pdf", doc_type="correspondence", title="Letter")

    proposed = (await selection(caseworker, case["id"], "recall")).json()

    licence = proposed["sections"][0]
    assert licence["title"] == "Licence"
    assert [i["document_id"] for i in licence["items"]] == [
        earlier["id"],
        later["id"],
        undated["id"],
    ]
    assert [i["document_id"] for i in proposed["unplaced"]] == [letter["id"]]
    assert "Part A recall report" in [a["label"] for a in proposed["awaited"]]
    assert proposed["template"] == "recall"


async def test_templates_request_naming_a_template_builds_its_sections(
    caseworker: User, case: dict[str, Any], file_document: File, dossier_worker: DossierWorker
) -> None:
    filed = await file_recall_set(file_document)

    job = await built(caseworker, dossier_worker, case["id"], {"template": "recall"})

    dossier_id = job["result"]["document_id"]
    manifest = await manifest_of(caseworker, job)
    assert manifest["request"]["template"] == "recall"
    assert {s["document_id"] for s in manifest["sources"]} == {d["id"] for d in filed.values()}
    content = (await caseworker.client.get(f"/documents/{dossier_id}/content")).content
    with pikepdf.open(io.BytesIO(content)) as pdf, pdf.open_outline() as outline:
        # The recall template has no cover; sections with nothing filed are left out.
        assert [i.title for i in outline.root] == [
            "Index",
            "Licence",
            "Part A recall report",
            "Supporting documents",
        ]
        assert pikepdf.Page(pdf.pages[0]).label == "i"


async def test_templates_proposal_adjusted_and_sent_back_is_built_as_reviewed(
    caseworker: User, case: dict[str, Any], file_document: File, dossier_worker: DossierWorker
) -> None:
    await file_recall_set(file_document)
    proposed = (await selection(caseworker, case["id"], "recall")).json()
    # The caseworker swaps the first two sections and drops the empty ones.
    sections = [s for s in proposed["sections"] if s["items"]]
    sections[0], sections[1] = sections[1], sections[0]
    proposed["sections"] = sections
    proposed["options"]["marking"] = "OFFICIAL-SENSITIVE"

    job = await built(caseworker, dossier_worker, case["id"], proposed)

    manifest = await manifest_of(caseworker, job)
    assert [s["title"] for s in manifest["request"]["sections"]][:2] == [
        "Part A recall report",
        "Licence",
    ]
    assert manifest["request"]["options"]["marking"] == "OFFICIAL-SENSITIVE"


async def test_templates_unknown_template_is_named_with_the_choices(
    caseworker: User, case: dict[str, Any]
) -> None:
    missing = await selection(caseworker, case["id"], "nonesuch")
    asked = await ask(caseworker, case["id"], {"template": "nonesuch"})
    unnamed = await caseworker.client.get(f"/cases/{case['id']}/dossier-selection")

    assert missing.status_code == 404
    assert "parole_review, recall" in missing.json()["detail"]
    assert asked.status_code == 422
    assert {p["field"] for p in asked.json()["errors"]} == {"template"}
    assert unnamed.status_code == 422


async def test_templates_of_a_case_with_no_matching_documents_is_refused(
    caseworker: User, offender: dict[str, Any]
) -> None:
    review = await open_case(caseworker.client, offender["id"], case_type="parole_review")

    asked = await ask(caseworker, review["id"], {"template": "parole_review"})

    assert asked.status_code == 422
    assert "no documents of the types the template names" in asked.text


async def test_templates_administrator_creates_edits_and_retires_a_template(
    make_user: MakeUser, caseworker: User, case: dict[str, Any], store: Store
) -> None:
    admin = await make_user("admin")
    body = {
        "title": "Oral hearing bundle",
        "case_types": ["parole review"],
        "sections": [
            {"title": "Reports", "doc_types": ["OASys assessment"], "sort": "document_date_desc"}
        ],
        "options": {"cover": False, "marking": "OFFICIAL"},
    }

    created = await admin.client.put("/dossier-templates/oral_hearing", json=body)
    assert created.status_code == 200, created.text
    assert created.headers["etag"] == '"1"'
    saved = created.json()
    assert saved["case_types"] == ["parole_review"]
    assert saved["sections"][0]["doc_types"] == ["oasys_assessment"]
    assert saved["options"] == {"cover": False, "marking": "OFFICIAL"}

    body["title"] = "Oral hearing bundle (2026)"
    stale = await admin.client.put(
        "/dossier-templates/oral_hearing", json=body, headers={"If-Match": '"7"'}
    )
    edited = await admin.client.put(
        "/dossier-templates/oral_hearing", json=body, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert edited.status_code == 200 and edited.json()["revision"] == 2

    assert (await admin.client.delete("/dossier-templates/oral_hearing")).status_code == 204
    assert (await caseworker.client.get("/dossier-templates/oral_hearing")).status_code == 404
    asked = await ask(caseworker, case["id"], {"template": "oral_hearing"})
    assert asked.status_code == 422
    actions = [
        e["action"]
        async for e in store.db["audit"].find({"target": "dossier_template:oral_hearing"})
    ]
    assert actions == [
        "dossier_template.update",
        "dossier_template.update",
        "dossier_template.retire",
    ]


async def test_templates_only_administrators_change_them(
    caseworker: User, make_user: MakeUser
) -> None:
    manager = await make_user("manager")
    body = {"title": "T", "sections": [{"title": "S", "doc_types": ["licence"]}]}

    for user in (caseworker, manager):
        put = await user.client.put("/dossier-templates/recall", json=body)
        delete = await user.client.delete("/dossier-templates/recall")
        requirements = await user.client.put("/dossier-requirements/recall", json={"doc_types": []})
        assert (put.status_code, delete.status_code, requirements.status_code) == (403, 403, 403)


async def test_templates_bad_template_names_every_problem(make_user: MakeUser) -> None:
    admin = await make_user("admin")
    body = {
        "title": "",
        "sections": [
            {"title": "S", "doc_types": ["no such type"], "sort": "randomly"},
            {"title": "T", "doc_types": [], "divider": "yes"},
            "not a section",
        ],
        "options": {"start_page": 0, "marking": "ВИЛКА"},
        "colour": "red",
    }

    response = await admin.client.put("/dossier-templates/bad", json=body)
    badly_named = await admin.client.put("/dossier-templates/Bad Name!", json=body)

    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["errors"]}
    assert fields == {
        "title",
        "colour",
        "sections[0].doc_types[0]",
        "sections[0].sort",
        "sections[1].doc_types",
        "sections[1].divider",
        "sections[2]",
        "options.start_page",
        "options.marking",
    }
    assert badly_named.status_code == 422


async def test_templates_requirements_edited_by_an_administrator_apply_to_requests(
    make_user: MakeUser, caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    admin = await make_user("admin")
    licence = await file_document("office/testPDF.pdf", doc_type="licence")
    one = {"title": "D", "sections": [{"title": "S", "items": [{"document_id": licence["id"]}]}]}
    assert (await ask(caseworker, case["id"], one)).status_code == 422

    changed = await admin.client.put(
        "/dossier-requirements/recall", json={"doc_types": ["Licence"]}
    )
    refused = await admin.client.put(
        "/dossier-requirements/recall", json={"doc_types": ["no such type"]}
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["doc_types"] == [{"code": "licence", "label": "Licence"}]
    assert refused.status_code == 422
    listed = (await caseworker.client.get("/dossier-requirements")).json()
    assert listed["recall"] == [{"code": "licence", "label": "Licence"}]
    assert listed["parole_review"] == []
    assert (await ask(caseworker, case["id"], one)).status_code == 202


async def test_templates_marking_outside_the_stamp_font_is_refused(
    caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    document = await file_document("office/testPDF.pdf")
    body = {
        "title": "D",
        "sections": [{"title": "S", "items": [{"document_id": document["id"]}]}],
        "options": {"missing": "placeholder", "marking": "ΑΠΟΡΡΗΤΟ", "page_label": "Seite {page}"},
    }

    response = await ask(caseworker, case["id"], body)

    assert response.status_code == 422
    assert {p["field"] for p in response.json()["errors"]} == {"options.marking"}


async def test_templates_proposal_sent_back_as_it_stands_builds_without_empty_headings(
    caseworker: User, case: dict[str, Any], file_document: File, dossier_worker: DossierWorker
) -> None:
    await file_document("office/testPDF.pdf", doc_type="licence")
    proposed = (await selection(caseworker, case["id"], "recall")).json()
    assert [s["title"] for s in proposed["sections"]] == ["Licence"]
    assert "Revocation order" in proposed["empty_sections"]
    assert proposed["options"]["missing"] == "placeholder"  # five of the six are awaited

    job = await built(caseworker, dossier_worker, case["id"], proposed)

    manifest = await manifest_of(caseworker, job)
    assert [s["title"] for s in manifest["request"]["sections"]] == ["Licence", "Documents awaited"]
    # Naming the template alone still refuses when documents are missing.
    bare = await ask(caseworker, case["id"], {"template": "recall"})
    assert bare.status_code == 422 and "needs:" in bare.text


async def test_templates_for_another_case_type_are_refused(
    caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    await file_document("office/testPDF.pdf", doc_type="oasys_assessment")

    asked = await ask(caseworker, case["id"], {"template": "parole_review"})

    assert asked.status_code == 422
    assert "is for parole review cases" in asked.json()["errors"][0]["message"]


async def test_templates_retire_and_replace_keep_to_if_match(make_user: MakeUser) -> None:
    admin = await make_user("admin")
    current = await admin.client.get("/dossier-templates/recall")
    body = current.json()

    stale_delete = await admin.client.delete(
        "/dossier-templates/recall", headers={"If-Match": '"9"'}
    )
    put_back = await admin.client.put("/dossier-templates/recall", json=body)
    absent = await admin.client.put(
        "/dossier-templates/never_made", json=body, headers={"If-Match": '"1"'}
    )

    assert stale_delete.status_code == 412
    assert put_back.status_code == 200, put_back.text  # read-only fields are ignored
    assert put_back.json()["revision"] == body["revision"] + 1
    assert absent.status_code == 404
    fresh = await admin.client.delete(
        "/dossier-templates/recall", headers={"If-Match": f'"{body["revision"] + 1}"'}
    )
    assert fresh.status_code == 204


async def test_templates_requirements_answer_with_the_case_types_own_name(
    make_user: MakeUser,
) -> None:
    admin = await make_user("admin")

    changed = await admin.client.put(
        "/dossier-requirements/RECALL", json={"doc_types": ["licence", "Licence"]}
    )

    assert changed.status_code == 200
    assert changed.json() == {
        "case_type": "recall",
        "doc_types": [{"code": "licence", "label": "Licence"}],
    }
