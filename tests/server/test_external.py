"""External (WAM) users: associated cases only, shared documents only, stamped downloads."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
import pikepdf
import pypdfium2
import pytest

from records.store import Store
from tests.conftest import PASSWORD, Clock, File, MakeUser, User
from tests.web.conftest import pages_signed_in


@pytest.fixture
async def panel_member(make_user: MakeUser) -> User:
    return await make_user(
        "viewer", team="parole-board", external=True, organisation="Parole Board"
    )


@pytest.fixture
async def filed(caseworker: User, file_document: File) -> dict[str, dict[str, Any]]:
    """A shared four-page PDF and an unshared one."""
    shared = await file_document(
        "pdf-samples/004-pdflatex-4-pages/pdflatex-4-pages.pdf", title="Dossier"
    )
    private = await file_document("office/testPDF.pdf", title="Internal note")
    response = await caseworker.client.put(
        f"/documents/{shared['id']}/sharing", json={"shared_with_external": True}
    )
    assert response.status_code == 200, response.text
    return {"shared": shared, "private": private}


async def associate(caseworker: User, case_id: str, user: User, **extra: Any) -> httpx.Response:
    return await caseworker.client.post(
        f"/cases/{case_id}/associations", json={"user_id": user.id, **extra}
    )


def page_texts(content: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(content)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


async def test_external_user_sees_nothing_until_associated(
    panel_member: User, case: dict[str, Any], filed: dict[str, dict[str, Any]]
) -> None:
    listed = await panel_member.client.get("/cases")
    one = await panel_member.client.get(f"/cases/{case['id']}")
    document = await panel_member.client.get(f"/documents/{filed['shared']['id']}")

    assert listed.status_code == 200 and listed.json()["items"] == []
    assert (one.status_code, document.status_code) == (404, 404)


async def test_external_user_associated_sees_the_case_and_only_its_shared_documents(
    caseworker: User,
    panel_member: User,
    case: dict[str, Any],
    filed: dict[str, dict[str, Any]],
) -> None:
    made = await associate(caseworker, case["id"], panel_member)
    assert made.status_code == 201, made.text
    assert made.json()["active"] is True and made.json()["until"] is None

    listed = (await panel_member.client.get("/cases")).json()["items"]
    documents = (await panel_member.client.get(f"/cases/{case['id']}/documents")).json()
    private = await panel_member.client.get(f"/documents/{filed['private']['id']}")
    private_content = await panel_member.client.get(f"/documents/{filed['private']['id']}/content")

    assert [c["id"] for c in listed] == [case["id"]]
    assert [d["id"] for d in documents["items"]] == [filed["shared"]["id"]]
    assert (private.status_code, private_content.status_code) == (404, 404)


async def test_external_download_is_stamped_on_every_page_and_audited(
    store: Store,
    caseworker: User,
    panel_member: User,
    case: dict[str, Any],
    filed: dict[str, dict[str, Any]],
) -> None:
    await associate(caseworker, case["id"], panel_member)
    shared = filed["shared"]

    download = await panel_member.client.get(f"/documents/{shared['id']}/content")
    internal = await caseworker.client.get(f"/documents/{shared['id']}/content")

    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/pdf"
    assert "etag" not in download.headers
    texts = page_texts(download.content)
    assert len(texts) == 4
    for text in texts:
        assert f"Downloaded by {panel_member.username} (Parole Board)" in text
    # What is stored, and what internal users download, is untouched.
    assert "Downloaded by" not in " ".join(page_texts(internal.content))
    with pikepdf.open(io.BytesIO(internal.content)) as original:
        assert len(original.pages) == 4
    event = await store.db["audit"].find_one(
        {"action": "version.download", "user": panel_member.username}
    )
    assert event is not None and event["detail"]["stamped"] is True


async def test_external_user_may_not_write_share_or_read_the_audit(
    caseworker: User,
    panel_member: User,
    case: dict[str, Any],
    filed: dict[str, dict[str, Any]],
) -> None:
    await associate(caseworker, case["id"], panel_member)
    shared = filed["shared"]["id"]

    upload = await panel_member.client.post(
        f"/cases/{case['id']}/documents",
        files={"file": ("x.txt", b"text")},
        data={"title": "Mine", "doc_type": "other"},
    )
    share = await panel_member.client.put(
        f"/documents/{shared}/sharing", json={"shared_with_external": False}
    )
    lock = await panel_member.client.post(f"/documents/{shared}/lock")
    events = await panel_member.client.get("/audit")
    others = await panel_member.client.post(
        f"/cases/{case['id']}/associations", json={"user_id": panel_member.id}
    )

    assert upload.status_code == 403
    assert share.status_code == 403
    assert lock.status_code == 403
    assert events.status_code == 403
    assert others.status_code == 403


async def test_external_association_ended_closes_an_open_session_at_once(
    anonymous: httpx.AsyncClient,
    caseworker: User,
    panel_member: User,
    case: dict[str, Any],
    filed: dict[str, dict[str, Any]],
) -> None:
    await associate(caseworker, case["id"], panel_member)
    signed_in = await anonymous.post(
        "/api/v1/session",
        json={"username": panel_member.username, "password": PASSWORD, "totp": panel_member.totp()},
    )
    assert signed_in.status_code == 200, signed_in.text
    shared = f"/api/v1/documents/{filed['shared']['id']}/content"
    assert (await anonymous.get(shared)).status_code == 200

    ended = await caseworker.client.delete(f"/cases/{case['id']}/associations/{panel_member.id}")

    assert ended.status_code == 204
    assert (await anonymous.get(shared)).status_code == 404
    assert (await panel_member.client.get(f"/cases/{case['id']}")).status_code == 404
    again = await caseworker.client.delete(f"/cases/{case['id']}/associations/{panel_member.id}")
    assert again.status_code == 404


async def test_external_association_lapses_at_the_end_of_its_last_day(
    clock: Clock,
    caseworker: User,
    panel_member: User,
    case: dict[str, Any],
    filed: dict[str, dict[str, Any]],
) -> None:
    today = clock.at.date().isoformat()
    made = await associate(caseworker, case["id"], panel_member, until=today)
    assert made.status_code == 201, made.text

    clock.advance(hours=1)
    seen = await panel_member.client.get(f"/cases/{case['id']}")
    clock.advance(timedelta(days=1))
    lapsed = await panel_member.client.get(f"/cases/{case['id']}")

    assert (seen.status_code, lapsed.status_code) == (200, 404)
    listed = (await caseworker.client.get(f"/cases/{case['id']}/associations")).json()["items"]
    assert [(a["username"], a["active"]) for a in listed] == [(panel_member.username, False)]


async def test_external_association_refuses_bad_requests(
    caseworker: User, panel_member: User, make_user: MakeUser, case: dict[str, Any]
) -> None:
    colleague = await make_user("caseworker")
    viewer = await make_user("viewer")
    stranger = await make_user("caseworker", team="north")

    internal = await associate(caseworker, case["id"], colleague)
    past = await associate(caseworker, case["id"], panel_member, until="2001-01-01")
    unknown = await caseworker.client.post(
        f"/cases/{case['id']}/associations", json={"user_id": "0" * 24}
    )
    malformed = await caseworker.client.post(
        f"/cases/{case['id']}/associations", json={"user_id": 7, "until": "soon", "x": 1}
    )
    by_viewer = await associate(viewer, case["id"], panel_member)
    by_stranger = await associate(stranger, case["id"], panel_member)

    assert internal.status_code == 422 and "not an external user" in internal.text
    assert past.status_code == 422
    assert unknown.status_code == 422 and "there is no user" in unknown.text
    assert malformed.status_code == 422
    assert {p["field"] for p in malformed.json()["errors"]} == {"user_id", "until", "x"}
    assert by_viewer.status_code == 403
    assert by_stranger.status_code == 404


async def test_external_user_sees_no_proposal_and_no_job(
    caseworker: User,
    panel_member: User,
    case: dict[str, Any],
    filed: dict[str, dict[str, Any]],
) -> None:
    await associate(caseworker, case["id"], panel_member)
    body = {
        "title": "D",
        "sections": [{"title": "S", "items": [{"document_id": filed["shared"]["id"]}]}],
        "options": {"missing": "placeholder"},
    }
    job = (await caseworker.client.post(f"/cases/{case['id']}/dossiers", json=body)).json()

    proposal = await panel_member.client.get(
        f"/cases/{case['id']}/dossier-selection", params={"template": "recall"}
    )
    seen = await panel_member.client.get(f"/jobs/{job['job_id']}")

    # The proposal would list every document of the case, shared or not.
    assert proposal.status_code == 403
    assert "Internal note" not in proposal.text
    assert seen.status_code == 404


async def test_external_user_home_page_and_case_page_open_without_the_audit(
    app: Any, caseworker: User, panel_member: User, case: dict[str, Any]
) -> None:
    await associate(caseworker, case["id"], panel_member)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 40400))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        await pages_signed_in(browser, panel_member)
        home = await browser.get("/")
        case_page = await browser.get(f"/cases/{case['id']}")

    assert home.status_code == 200
    assert "recent activity" not in home.text
    assert case_page.status_code == 200
    assert f"/cases/{case['id']}/audit" not in case_page.text
