"""The casework pages in Chromium: find, open, upload, revise, check in, download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from records import access, documents, folders
from records.store import Store
from server.config import Settings
from tests.conftest import CORPUS, File, MakeUser, User
from tests.web.conftest import Browsing, Person, sign_in

PDF = CORPUS / "office" / "testPDF.pdf"
FOUR_PAGES = CORPUS / "pdf-samples" / "004-pdflatex-4-pages" / "pdflatex-4-pages.pdf"
IMAGE = CORPUS / "office" / "testOCR.png"
SCRIPT_TITLE = "<script>window.injected = 1</script>Police report"


async def test_casework_from_offender_search_to_a_new_version(
    browsing: Browsing,
    caseworker: User,
    offender: dict[str, Any],
    case: dict[str, Any],
    store: Store,
    settings: Settings,
) -> None:
    await folders.create_folder(
        store, caseworker.actor, await _case(store, case), {"name": "Reports"}
    )
    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))
    page = browsing.page

    # Find the offender, open them, then the case.
    await page.click("a:has-text('Find an offender')")
    await browsing.check("offender-search")
    await page.fill("#q", "exam")
    await page.fill("#born-day", "12")
    await page.fill("#born-month", "4")
    await page.fill("#born-year", "1985")
    await page.click("button:has-text('Search')")
    await browsing.check("offender-results")
    await page.click("[data-testid=offender-results] a:has-text('EXAMPLE, Alex Sam')")
    await browsing.check("offender")
    assert "12 April 1985" in (await page.text_content("[data-testid=offender-details]") or "")
    await page.click(f"[data-testid=offender-cases] a:has-text('{case['title']}')")
    await browsing.check("case")
    state = (await page.text_content("[data-testid=case-state]") or "").strip()
    assert state == "Recall request received"
    assert await page.is_visible("[data-testid=transition-assess]")
    assert "Assess the recall request" in (
        await page.text_content("[data-testid=case-tasks]") or ""
    )
    assert await page.get_attribute("a:has-text('Build a dossier')", "href") == (
        f"/cases/{case['id']}/dossiers/new"
    )
    assert await page.get_attribute("a:has-text('Audit trail')", "href") == (
        f"/cases/{case['id']}/audit"
    )

    # Three files in one form, each with its own details; JavaScript shows their progress.
    await page.click("a:has-text('Upload documents')")
    await browsing.check("upload")
    await page.select_option("#folder_id", label="Reports")
    rows = [
        (PDF, "Licence conditions", "licence", "OFFICIAL"),
        (FOUR_PAGES, SCRIPT_TITLE, "police_report", "OFFICIAL-SENSITIVE"),
        (IMAGE, "Scanned letter", "correspondence", "OFFICIAL"),
    ]
    for row, (path, title, doc_type, marking) in enumerate(rows, start=1):
        await page.set_input_files(f"#file-{row}", str(path))
        await page.fill(f"#title-{row}", title)
        await page.select_option(f"#doc_type-{row}", doc_type)
        await page.select_option(f"#marking-{row}", marking)
    await page.fill("#date-1-day", "2")
    await page.fill("#date-1-month", "3")
    await page.fill("#date-1-year", "2026")
    posts: list[str] = []
    page.on("request", lambda sent: posts.append(sent.url) if sent.method == "POST" else None)
    await page.click("button:has-text('Upload')")
    await page.wait_for_url(f"**/cases/{case['id']}?uploaded=3")
    # With JavaScript each file went on its own, to show its own progress.
    assert [url.rsplit("/", 1)[-1] for url in posts] == ["upload"] * 3
    await browsing.check("case-uploaded")

    assert await page.locator("[data-testid=document-row]").count() == 3
    assert "3 documents were uploaded." in (await page.text_content("main") or "")
    assert SCRIPT_TITLE in (await page.text_content(".ppud-folders") or "")
    assert await page.evaluate("() => window.injected") is None
    assert "2 March 2026" in (await page.text_content(".ppud-folders") or "")

    # The document page: thumbnail, a stale edit, check-out and check-in.
    await page.click("a:has-text('Licence conditions')")
    await browsing.check("document")
    document_id = page.url.rsplit("/", 1)[-1]
    await page.wait_for_function(
        "() => document.querySelector('[data-testid=thumbnail]').naturalWidth > 0"
    )
    thumb = await page.request.get(f"/documents/{document_id}/versions/1/thumbnail.png")
    assert thumb.headers["content-type"] == "image/png"
    assert (await thumb.body()).startswith(b"\x89PNG\r\n\x1a\n")
    assert list((Path(settings.data_dir) / "thumbnails").glob("*/*.png"))

    filed = await store.db[documents.DOCUMENTS].find_one({"title": "Licence conditions"})
    assert filed is not None
    await documents.update_metadata(
        store, caseworker.actor, document_id, {"title": "Licence (signed)"}, expected_revision=1
    )
    await page.fill("#title", "Licence as revised by me")
    await page.click("button:has-text('Save changes')")
    await browsing.check("document-stale")
    summary = await page.text_content(".govuk-error-summary") or ""
    assert "Someone else changed this document since you opened it" in summary
    assert await page.input_value("#title") == "Licence as revised by me"
    assert await page.is_visible("[data-testid=stale]")
    assert await page.text_content("[data-testid=document-title]") == "Licence (signed)"
    await page.click("button:has-text('Save changes')")
    await browsing.check("document-saved")
    assert await page.text_content("[data-testid=document-title]") == "Licence as revised by me"

    await page.click("button:has-text('Check out')")
    await browsing.check("document-checked-out")
    assert caseworker.username in (await page.text_content("[data-testid=lock]") or "")
    await page.set_input_files("#file", str(FOUR_PAGES))
    await page.fill("#comment", "Signed copy")
    await page.click("button:has-text('Check in the new version')")
    await browsing.check("document-checked-in")
    assert (await page.text_content("[data-testid=current-version]") or "").strip() == "2"
    history = await page.text_content("[data-testid=versions]") or ""
    assert "Signed copy" in history and caseworker.username in history
    assert (await page.text_content("[data-testid=lock]") or "").strip() == "No"

    first = await page.request.get(f"/documents/{document_id}/versions/1/download")
    assert first.status == 200
    assert await first.body() == PDF.read_bytes()
    assert "attachment" in first.headers["content-disposition"]


async def test_casework_external_user_sees_only_shared_documents_without_javascript(
    browsing_without_javascript: Browsing,
    caseworker: User,
    make_user: MakeUser,
    case: dict[str, Any],
    file_document: File,
    store: Store,
) -> None:
    shared = await file_document(str(FOUR_PAGES.relative_to(CORPUS)), title="Parole dossier")
    private = await file_document("office/testPDF.pdf", title="Internal note")
    answer = await caseworker.client.put(
        f"/documents/{shared['id']}/sharing", json={"shared_with_external": True}
    )
    assert answer.status_code == 200
    member = await make_user(
        "viewer", team="parole-board", external=True, organisation="Parole Board"
    )
    await access.associate(
        store, caseworker.actor, await _case(store, case), {"user_id": member.id}
    )
    browsing = browsing_without_javascript
    page = browsing.page

    await sign_in(browsing, Person(member.username, member.totp_secret))
    await page.goto(f"/cases/{case['id']}")
    await browsing.check("external-case")
    listed = await page.text_content("main") or ""
    assert "Parole dossier" in listed and "Internal note" not in listed
    assert not await page.is_visible("a:has-text('Upload documents')")

    await page.click("a:has-text('Parole dossier')")
    await browsing.check("external-document")
    # An external user's PDF is only downloaded, stamped: no preview, no thumbnail.
    assert await page.locator("[data-testid=thumbnail], [data-testid=preview]").count() == 0
    assert await page.locator("[data-testid=edit-form]").count() == 0
    stamped = await page.request.get(f"/documents/{shared['id']}/versions/1/download")
    assert stamped.status == 200
    assert (await stamped.body()) != FOUR_PAGES.read_bytes()
    assert stamped.headers["cache-control"] == "private, no-store"

    answered = await page.goto(f"/documents/{private['id']}")
    await browsing.check("external-not-shared")
    assert answered is not None and answered.status == 404
    assert await page.text_content("h1") == "Page not found"


async def _case(store: Store, case: dict[str, Any]) -> dict[str, Any]:
    from bson import ObjectId

    found = await store.db["cases"].find_one({"_id": ObjectId(case["id"])})
    assert found is not None
    return found


async def test_case_page_moves_the_case_on_and_names_what_is_missing(
    browsing: Browsing, caseworker: User, case: dict[str, Any]
) -> None:
    page = browsing.page
    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))
    await page.goto(f"/cases/{case['id']}")
    await browsing.check("case")

    await page.click("[data-testid=transition-stop] summary")
    await page.click("button:has-text('Stop the recall')")
    await page.wait_for_selector(".govuk-error-summary")
    await browsing.check("case-reason-missing")
    assert "needs a reason" in (await page.text_content(".govuk-error-summary") or "")

    await page.click("[data-testid=transition-assess] summary")
    await page.click("button:has-text('Start the assessment')")
    await page.wait_for_selector("text=The case moved on")
    await browsing.check("case-moved")
    state = (await page.text_content("[data-testid=case-state]") or "").strip()
    assert state == "Assessing the request"

    await page.click("[data-testid=transition-revoke] summary")
    await page.fill("#revoke-date-day", "31")
    await page.fill("#revoke-date-month", "2")
    await page.fill("#revoke-date-year", "2026")
    await page.click("button:has-text('Revoke the licence')")
    await page.wait_for_selector(".govuk-error-summary")
    await browsing.check("case-bad-date")
    assert "real date" in (await page.text_content(".govuk-error-summary") or "")
