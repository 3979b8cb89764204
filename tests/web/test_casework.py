"""The caseworker's search, dossier and audit pages in Chromium, with and without JavaScript."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from dossier_builder.build import DossierWorker
from records.store import Store
from search.index import TantivyIndex
from search.worker import ExtractionSettings, Worker, ensure_search_indexes
from server.config import Settings
from tests.conftest import File, User
from tests.search.conftest import settle
from tests.web.conftest import Browsing, Person, sign_in


@pytest.fixture
async def search_worker(store: Store, settings: Settings) -> AsyncIterator[Worker]:
    await ensure_search_indexes(store)
    index = TantivyIndex(settings.search_dir, writer=True)
    running = Worker(store, index, ExtractionSettings(), settings.data_dir / "scratch")
    yield running
    running.index.close()


@pytest.fixture
def dossier_worker(store: Store, settings: Settings) -> DossierWorker:
    return DossierWorker(store, settings.data_dir / "dossiers")


async def _filed_for_a_recall(file_document: File) -> list[dict[str, Any]]:
    """A licence and two supporting documents, filed through the API."""
    return [
        await file_document(title="Licence", doc_type="licence", document_date="2023-05-01"),
        await file_document(
            "pdf-samples/001-trivial/minimal-document.pdf",
            title="Previous convictions",
            doc_type="previous_convictions",
            document_date="2024-01-01",
        ),
        await file_document(
            "pdf-samples/001-trivial/minimal-document.pdf",
            title="Police report",
            doc_type="police_report",
            document_date="2024-02-01",
        ),
    ]


async def _entries(browsing: Browsing, section: int) -> list[str]:
    found = browsing.page.locator(f"ol[data-section='{section}'] li[data-document-id] .govuk-body")
    return [text.strip() for text in await found.all_text_contents() if text.strip()]


async def test_casework_search_build_a_dossier_and_read_the_audit_without_javascript(
    browsing_without_javascript: Browsing,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
    search_worker: Worker,
    dossier_worker: DossierWorker,
) -> None:
    browsing = browsing_without_javascript
    page = browsing.page
    filed = await _filed_for_a_recall(file_document)
    await settle(search_worker)
    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))

    # Search: the word is marked in the snippet, and the hit opens the document's page.
    await page.click("a:has-text('Search')")
    await page.fill("#q", "toolkit")
    await page.click("button:has-text('Search')")
    await browsing.check("search-results")
    snippet = page.locator("[data-testid=snippet]").first
    assert (await snippet.locator("mark").first.text_content() or "").lower() == "toolkit"
    href = await page.locator("[data-testid=results] a").first.get_attribute("href")
    assert href == f"/documents/{filed[0]['id']}"

    await page.fill("#q", '"unclosed phrase')
    await page.click("button:has-text('Search')")
    await browsing.check("search-malformed")
    summary = await page.text_content(".govuk-error-summary") or ""
    assert "character 1" in summary

    # The recall template's proposal; the supporting documents swapped with Down.
    await page.goto(f"/cases/{case['id']}/dossiers/new")
    await browsing.check("dossier-start")
    await page.check("#template-recall")
    await page.click("button:has-text('Continue')")
    await browsing.check("dossier-draft")
    supporting = 4  # licence, Part A, revocation order, reasons, supporting documents
    assert await _entries(browsing, supporting) == ["Previous convictions", "Police report"]
    await page.click("button:has-text('Down: Previous convictions')")
    await browsing.check("dossier-reordered")
    assert await _entries(browsing, supporting) == ["Police report", "Previous convictions"]
    # A recall needs more than was filed: refused, listing them, until placeholders are asked for.
    await page.click("[data-testid=build]")
    await browsing.check("dossier-refused")
    assert "needs:" in (await page.text_content(".govuk-error-summary") or "")
    await page.check("#missing-placeholder")
    await page.click("[data-testid=build]")
    await page.wait_for_url("**/jobs/*")
    await browsing.check("job-queued")
    assert await page.is_visible("[data-testid=job-running]")

    assert await dossier_worker.run_once()
    await page.click("#job-refresh")
    await browsing.check("job-done")
    opened = await page.request.get(
        await page.get_attribute("[data-testid=open-dossier]", "href") or ""
    )
    assert opened.status == 200
    assert (await opened.body()).startswith(b"%PDF")

    await page.click("a:has-text('See its manifest')")
    await browsing.check("dossiers")
    manifest = await page.text_content("[data-testid=manifest]") or ""
    assert manifest.index("Police report") < manifest.index("Previous convictions")
    assert filed[0]["versions"][0]["sha256"][:12] in manifest

    await page.goto(f"/cases/{case['id']}/audit")
    await browsing.check("case-audit")
    events = await page.text_content("[data-testid=audit-events]") or ""
    assert "document.create" in events
    assert caseworker.username in events


async def test_casework_dossier_with_javascript_drags_and_shows_progress(
    browsing: Browsing,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
    dossier_worker: DossierWorker,
) -> None:
    page = browsing.page
    await _filed_for_a_recall(file_document)
    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))

    await page.goto(f"/cases/{case['id']}/dossiers/new")
    await browsing.check("dossier-start")
    await page.click("button:has-text('Continue')")
    await browsing.check("dossier-draft")
    supporting = "ol[data-section='4']"
    async with page.expect_navigation():
        await page.drag_and_drop(
            f"{supporting} li:nth-child(2)",
            f"{supporting} li:nth-child(1)",
            target_position={"x": 5, "y": 2},
        )
    await browsing.check("dossier-dragged")
    assert await _entries(browsing, 4) == ["Police report", "Previous convictions"]
    await page.check("#missing-placeholder")
    await page.click("[data-testid=build]")
    await page.wait_for_url("**/jobs/*")
    await browsing.check("job-queued")
    assert not await page.is_visible("#job-refresh")  # the poller keeps the page current

    assert await dossier_worker.run_once()
    await page.wait_for_selector("[data-testid=job-done]", timeout=60_000)
    await browsing.check("job-done")
    await asyncio.sleep(0)
