"""The search, dossier, job and audit pages over plain HTTP: who may reach each, and bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from records import jobs
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import File, MakeUser, User, open_case, upload
from tests.web.conftest import pages_signed_in
from web.dossier_draft import Draft, apply, parse
from web.search_pages import highlighted

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"


@pytest.fixture
async def strangers_case(make_user: MakeUser, offender: dict[str, Any]) -> dict[str, Any]:
    """A case of another team, with a document and a dossier job."""
    stranger = await make_user("caseworker", team="another-team")
    case = await open_case(stranger.client, offender["id"], title="Not ppcs's", team="another-team")
    filed = await upload(stranger.client, case["id"], MINIMAL_PDF, "a.pdf")
    assert filed.status_code == 201, filed.text
    return {"case": case, "document": filed.json()}


async def test_casework_pages_of_another_teams_case_are_not_found(
    browser_client: httpx.AsyncClient,
    caseworker: User,
    strangers_case: dict[str, Any],
    store: Store,
) -> None:
    case_id, document_id = strangers_case["case"]["id"], strangers_case["document"]["id"]
    case = await store.db["cases"].find_one({"team": "another-team"})
    assert case is not None
    job = await jobs.create_job(store, SYSTEM, "dossier", case, {"title": "D"})
    token = await pages_signed_in(browser_client, caseworker)

    for path in (
        f"/cases/{case_id}/dossiers/new",
        f"/cases/{case_id}/dossiers",
        f"/cases/{case_id}/audit",
        f"/documents/{document_id}/audit",
        f"/jobs/{job['_id']}",
        f"/jobs/{job['_id']}/progress",
    ):
        answered = await browser_client.get(path)
        assert answered.status_code == 404, path
        assert "Page not found" in answered.text, path
    posted = await browser_client.post(
        f"/cases/{case_id}/dossiers/new", data={"csrf_token": token, "action": "start"}
    )
    assert posted.status_code == 404


async def test_case_audit_page_leaves_out_a_limited_document_for_those_outside_the_limit(
    browser_client: httpx.AsyncClient,
    make_user: MakeUser,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    outsider = await make_user("manager")
    limited = await file_document(title="Victim statement", protective_marking="OFFICIAL-SENSITIVE")
    named = {"users": [caseworker.username]}
    assert (
        await caseworker.client.put(f"/documents/{limited['id']}/restriction", json=named)
    ).is_success
    await pages_signed_in(browser_client, outsider)

    trail = await browser_client.get(f"/cases/{case['id']}/audit")
    of_the_document = await browser_client.get(f"/documents/{limited['id']}/audit")

    assert trail.status_code == 200
    assert "case.create" in trail.text
    assert "Victim statement" not in trail.text and "document.restriction" not in trail.text
    assert of_the_document.status_code == 404


async def test_casework_viewer_may_read_the_dossiers_but_not_build_one(
    browser_client: httpx.AsyncClient, make_user: MakeUser, case: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")
    token = await pages_signed_in(browser_client, viewer)

    assert (await browser_client.get(f"/cases/{case['id']}/dossiers")).status_code == 200
    assert (await browser_client.get(f"/cases/{case['id']}/audit")).status_code == 200
    refused = await browser_client.get(f"/cases/{case['id']}/dossiers/new")
    posted = await browser_client.post(
        f"/cases/{case['id']}/dossiers/new",
        data={"csrf_token": token, "action": "start", "template": "recall"},
    )

    for answer in (refused, posted):
        assert answer.status_code == 403
        assert "You cannot do this" in answer.text
        assert "viewer users may not file or change documents" in answer.text.lower()


async def test_casework_dossier_draft_that_was_tampered_with_is_a_400_page(
    browser_client: httpx.AsyncClient, caseworker: User, case: dict[str, Any]
) -> None:
    token = await pages_signed_in(browser_client, caseworker)

    for draft in ("not json", '{"sections": [{"items": [{"document_id": 7}]}]}', "[]"):
        answered = await browser_client.post(
            f"/cases/{case['id']}/dossiers/new",
            data={"csrf_token": token, "action": "update", "draft": draft, "title": "T"},
        )
        assert answered.status_code == 400, draft
        assert "govuk-template" in answered.text


async def test_casework_dossier_problems_are_an_error_summary_linking_to_fields(
    browser_client: httpx.AsyncClient, caseworker: User, case: dict[str, Any]
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    draft = '{"sections": [{"title": "S", "items": [{"document_id": "0123456789abcdef01234567"}]}]}'

    answered = await browser_client.post(
        f"/cases/{case['id']}/dossiers/new",
        data={
            "csrf_token": token,
            "action": "build",
            "draft": draft,
            "title": "",
            "marking": "Ωmega",
        },
    )

    assert answered.status_code == 422
    assert "There is a problem" in answered.text
    assert 'href="#title"' in answered.text
    assert 'href="#item-0-0"' in answered.text
    assert 'href="#marking"' in answered.text


async def test_casework_malformed_search_names_where(
    browser_client: httpx.AsyncClient, caseworker: User
) -> None:
    await pages_signed_in(browser_client, caseworker)

    answered = await browser_client.get("/search", params={"q": "licence AND ) <b>x</b>"})

    assert answered.status_code == 400
    assert 'href="#q"' in answered.text
    assert "AND at character 9 needs something after it." in answered.text
    assert "<b>x</b>" not in answered.text


async def test_casework_search_date_filter_must_be_a_real_date(
    browser_client: httpx.AsyncClient, caseworker: User
) -> None:
    await pages_signed_in(browser_client, caseworker)

    answered = await browser_client.get(
        "/search", params={"q": "licence", "from-day": "31", "from-month": "2", "from-year": "2024"}
    )

    assert answered.status_code == 400
    assert 'href="#from-day"' in answered.text
    assert "Document date from must be a real date" in answered.text


async def test_casework_pages_need_a_signed_in_user(browser_client: httpx.AsyncClient) -> None:
    answered = await browser_client.get("/search?q=licence")

    assert answered.status_code == 303
    assert answered.headers["location"].startswith("/sign-in?next=/search")


def test_highlighted_escapes_the_text_and_marks_only_the_hits() -> None:
    shown = highlighted("a <b>licence</b> &lt;script&gt;alert(1)&lt;/script&gt; <i>x</i>")

    assert str(shown) == (
        'a <mark class="ppud-hit">licence</mark> &lt;script&gt;alert(1)&lt;/script&gt; '
        "&lt;i&gt;x&lt;/i&gt;"
    )


def test_dossier_draft_buttons_move_remove_and_add_entries() -> None:
    draft = parse(
        '{"sections": [{"title": "S", "items": [{"document_id": "a"}, {"document_id": "b"}]}]}'
    )

    apply(draft, "down:0:0", {})
    assert [i["document_id"] for i in draft.sections[0]["items"]] == ["b", "a"]
    apply(draft, "up:0:1", {})
    apply(draft, "remove:0:0", {})
    apply(draft, "add:0", {"add-0": "c"})
    apply(draft, "add:0", {"add-0": "c"})  # already placed: not twice
    apply(draft, "up:7:0", {})  # a stale button does nothing
    apply(draft, "add-section", {"new-section": "Reports"})

    assert [i["document_id"] for i in draft.sections[0]["items"]] == ["b", "c"]
    assert draft.sections[1]["title"] == "Reports"
    assert draft.request_sections()[0]["items"] == [{"document_id": "b"}, {"document_id": "c"}]
    assert isinstance(draft, Draft)
