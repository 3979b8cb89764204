"""The whole main job in Chromium, as a caseworker does it, page by page.

Sign in with the code from the authenticator, find the offender, open the
case, upload five documents, check one out and back in with a new version,
search for a word from one of them and open the hit, build a dossier from
the recall template and download it, then read the case's audit trail.
Every page is checked by axe-core and photographed (tests/artifacts/).
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pikepdf
import pytest

from dossier_builder.build import DossierWorker
from records.store import Store
from search.index import TantivyIndex
from search.worker import ExtractionSettings, Worker, ensure_search_indexes
from server.config import Settings
from tests.conftest import CORPUS, User
from tests.search.conftest import settle
from tests.web.conftest import Browsing, Person, sign_in

FILES = [
    ("office/testPDF.pdf", "Licence", "licence"),
    ("pdf-samples/004-pdflatex-4-pages/pdflatex-4-pages.pdf", "Police report", "police_report"),
    ("office/testWORD.docx", "Pre-sentence report", "pre_sentence_report"),
    ("office/testRFC822_multipart_attachments.eml", "E-mail from the hostel", "correspondence"),
    ("office/testOCR.png", "Scanned charge sheet", "charge_sheet"),
]


@pytest.fixture
async def search_worker(store: Store, settings: Settings) -> AsyncIterator[Worker]:
    await ensure_search_indexes(store)
    index = TantivyIndex(settings.search_dir, writer=True)
    running = Worker(store, index, ExtractionSettings(), settings.data_dir / "scratch")
    yield running
    running.index.close()


async def test_journey_the_whole_main_job_in_the_browser(
    browsing: Browsing,
    caseworker: User,
    offender: dict[str, Any],
    case: dict[str, Any],
    search_worker: Worker,
    settings: Settings,
) -> None:
    page = browsing.page
    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))

    # Find the offender and open the case.
    await page.click("a:has-text('Find an offender')")
    await browsing.check("journey-offender-search")
    await page.fill("#q", "Example")
    await page.click("button:has-text('Search')")
    await browsing.check("journey-offender-results")
    await page.click("[data-testid=offender-results] a:has-text('EXAMPLE, Alex Sam')")
    await browsing.check("journey-offender")
    await page.click(f"[data-testid=offender-cases] a:has-text('{case['title']}')")
    await browsing.check("journey-case")

    # Upload five documents in one form.
    await page.click("a:has-text('Upload documents')")
    await browsing.check("journey-upload")
    for row, (name, title, doc_type) in enumerate(FILES, start=1):
        await page.set_input_files(f"#file-{row}", str(CORPUS / name))
        await page.fill(f"#title-{row}", title)
        await page.select_option(f"#doc_type-{row}", doc_type)
    await page.click("button:has-text('Upload')")
    await page.wait_for_url(f"**/cases/{case['id']}?uploaded=5")
    await browsing.check("journey-case-uploaded")
    assert await page.locator("[data-testid=document-row]").count() == 5

    # Check the licence out, and in again with a new version.
    await page.click("a:has-text('Licence')")
    await browsing.check("journey-document")
    await page.click("button:has-text('Check out')")
    await browsing.check("journey-checked-out")
    await page.set_input_files("#file", str(CORPUS / "office/testPDF.pdf"))
    await page.fill("#comment", "Signed by the offender")
    await page.click("button:has-text('Check in the new version')")
    await browsing.check("journey-checked-in")
    assert (await page.text_content("[data-testid=current-version]") or "").strip() == "2"

    # Search for a word from the licence, and open the hit.
    await settle(search_worker)
    await page.click("a:has-text('Search')")
    await page.fill("#q", "toolkit")
    await page.click("button:has-text('Search')")
    await browsing.check("journey-search")
    assert (
        await page.locator("[data-testid=snippet] mark").first.text_content() or ""
    ).lower() == ("toolkit")
    # Each hit names its case.
    assert case["title"] in (await page.text_content("[data-testid=results]") or "")
    await page.locator("[data-testid=results] a").first.click()
    await browsing.check("journey-search-hit")
    assert (await page.text_content("[data-testid=document-title]") or "").strip() == "Licence"

    # Build the recall dossier, with pages for what is awaited, and download it.
    await page.goto(f"/cases/{case['id']}/dossiers/new")
    await browsing.check("journey-dossier-start")
    await page.check("#template-recall")
    await page.click("button:has-text('Continue')")
    await browsing.check("journey-dossier-draft")
    await page.check("#missing-placeholder")
    await page.click("[data-testid=build]")
    await page.wait_for_url("**/jobs/*")
    await browsing.check("journey-job")
    worker = DossierWorker(search_worker.store, settings.data_dir / "dossiers")
    assert await worker.run_once()
    # The page follows the job by itself (JavaScript polls it) and offers the result.
    await page.wait_for_selector("[data-testid=job-done]", timeout=60_000)
    await browsing.check("journey-job-done")
    link = await page.get_attribute("[data-testid=open-dossier]", "href") or ""
    downloaded = await page.request.get(link)
    assert downloaded.status == 200
    with pikepdf.open(io.BytesIO(await downloaded.body())) as dossier:
        assert len(dossier.pages) > 5
        with dossier.open_outline() as outline:
            assert "Licence" in [item.title for item in outline.root]

    # The case's audit trail tells the story.
    await page.goto(f"/cases/{case['id']}/audit")
    await browsing.check("journey-audit")
    events = await page.text_content("[data-testid=audit-events]") or ""
    for action in ("document.create", "lock.acquire", "version.create", "document.create"):
        assert action in events, action
