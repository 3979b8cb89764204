"""The casework pages over plain HTTP: who may reach each one, and what a refusal looks like."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import CORPUS, MakeUser, User, open_case
from tests.web.conftest import pages_signed_in

PDF = (CORPUS / "pdf-samples" / "001-trivial" / "minimal-document.pdf").read_bytes()


def upload_form(token: str) -> tuple[dict[str, str], dict[str, Any]]:
    data = {"csrf_token": token, "title-1": "Licence", "doc_type-1": "licence"}
    return data, {"file-1": ("licence.pdf", PDF, "application/pdf")}


def page_paths(case_id: str, document_id: str) -> list[str]:
    version = f"/documents/{document_id}/versions/1"
    return [
        f"/cases/{case_id}",
        f"/cases/{case_id}/upload",
        f"/documents/{document_id}",
        f"{version}/download",
        f"{version}/preview",
        f"{version}/thumbnail.png",
    ]


async def test_casework_pages_of_another_teams_case_are_not_found(
    browser_client: httpx.AsyncClient,
    make_user: MakeUser,
    case: dict[str, Any],
    document: dict[str, Any],
) -> None:
    stranger = await make_user("caseworker", team="another-team")
    token = await pages_signed_in(browser_client, stranger)

    for path in page_paths(case["id"], document["id"]):
        answer = await browser_client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "Page not found" in answer.text, path
    posts = [f"/documents/{document['id']}", f"/documents/{document['id']}/check-out"]
    for path in posts:
        answer = await browser_client.post(path, data={"csrf_token": token, "revision": "1"})
        assert answer.status_code == 404, path
    data, files = upload_form(token)
    refused = await browser_client.post(f"/cases/{case['id']}/upload", data=data, files=files)
    assert refused.status_code == 404
    assert case["title"] not in refused.text


async def test_casework_pages_let_a_viewer_read_but_not_upload_or_change(
    browser_client: httpx.AsyncClient,
    make_user: MakeUser,
    case: dict[str, Any],
    document: dict[str, Any],
) -> None:
    viewer = await make_user("viewer")
    token = await pages_signed_in(browser_client, viewer)

    read = await browser_client.get(f"/cases/{case['id']}")
    assert read.status_code == 200
    assert "Upload documents" not in read.text
    assert (await browser_client.get(f"/documents/{document['id']}")).status_code == 200
    downloaded = await browser_client.get(f"/documents/{document['id']}/versions/1/download")
    assert downloaded.status_code == 200 and downloaded.content == PDF

    form = await browser_client.get(f"/cases/{case['id']}/upload")
    assert form.status_code == 403
    assert "You cannot do this" in form.text
    data, files = upload_form(token)
    refused = await browser_client.post(f"/cases/{case['id']}/upload", data=data, files=files)
    assert refused.status_code == 403
    checked = await browser_client.post(
        f"/documents/{document['id']}/check-out", data={"csrf_token": token}
    )
    assert checked.status_code == 403


async def test_casework_pages_send_anyone_signed_out_to_sign_in(
    browser_client: httpx.AsyncClient, case: dict[str, Any], document: dict[str, Any]
) -> None:
    for path in ["/offenders", *page_paths(case["id"], document["id"])]:
        answer = await browser_client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/sign-in?next="), path


async def test_casework_upload_checks_the_token_before_storing_a_byte(
    browser_client: httpx.AsyncClient, caseworker: User, case: dict[str, Any], store: Any
) -> None:
    await pages_signed_in(browser_client, caseworker)
    data, files = upload_form("forged")

    refused = await browser_client.post(f"/cases/{case['id']}/upload", data=data, files=files)

    assert refused.status_code == 403
    assert "This form has expired" in refused.text
    assert await store.db["fs.files"].count_documents({}) == 0


async def test_casework_upload_files_a_document_without_javascript(
    browser_client: httpx.AsyncClient, caseworker: User, case: dict[str, Any], store: Any
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    data, files = upload_form(token)
    files["file-9"] = ("stray.pdf", PDF, "application/pdf")  # no row of the form

    filed = await browser_client.post(f"/cases/{case['id']}/upload", data=data, files=files)

    assert filed.status_code == 303
    assert filed.headers["location"] == f"/cases/{case['id']}?uploaded=1"
    page = await browser_client.get(filed.headers["location"])
    assert "1 document was uploaded." in page.text and "Licence" in page.text
    # The stray part's bytes are gone at once, not left for the sweep.
    assert await store.db["fs.files"].count_documents({}) == 1


async def test_casework_offender_search_finds_by_date_of_birth_and_number(
    browser_client: httpx.AsyncClient, caseworker: User, offender: dict[str, Any]
) -> None:
    await caseworker.client.patch(f"/offenders/{offender['id']}", json={"nomis_number": "A1234AA"})
    await open_case(caseworker.client, offender["id"], title="Parole review 2026")
    await pages_signed_in(browser_client, caseworker)

    by_birth = await browser_client.get(
        "/offenders", params={"born-day": "12", "born-month": "4", "born-year": "1985"}
    )
    by_number = await browser_client.get("/offenders", params={"q": "a1234aa"})
    wrong_day = await browser_client.get(
        "/offenders", params={"born-day": "31", "born-month": "2", "born-year": "1985"}
    )

    assert "EXAMPLE, Alex Sam" in by_birth.text
    assert "EXAMPLE, Alex Sam" in by_number.text
    assert wrong_day.status_code == 422 and "Date of birth must be a real date" in wrong_day.text


async def test_casework_upload_with_a_problem_files_nothing_and_keeps_what_was_typed(
    browser_client: httpx.AsyncClient, caseworker: User, case: dict[str, Any], store: Any
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    data, files = upload_form(token)
    typed = '"><b>bold</b>'
    data |= {"title-1": typed, "date-1-day": "31", "date-1-month": "2", "date-1-year": "2026"}
    files["file-2"] = ("letter.pdf", PDF, "application/pdf")

    refused = await browser_client.post(f"/cases/{case['id']}/upload", data=data, files=files)

    assert refused.status_code == 422
    assert '<a href="#date-1-day">The date of document 1 must be a real date</a>' in refused.text
    assert '<a href="#title-2">Enter a title for document 2 (letter.pdf)</a>' in refused.text
    assert "&#34;&gt;&lt;b&gt;bold&lt;/b&gt;" in refused.text and "<b>bold" not in refused.text
    assert await store.db["documents"].count_documents({}) == 0
    assert await store.db["fs.files"].count_documents({}) == 0
