"""The case page's notes, contacts and correspondence, and the contacts directory pages."""

from __future__ import annotations

from typing import Any

import httpx
from bson import ObjectId

from records import access
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import Clock, File, MakeUser, User
from tests.web.conftest import Browsing, Person, pages_signed_in, sign_in

SCRIPT = "<script>window.injected = 1</script>"


async def new_contact(user: User, **fields: str) -> dict[str, Any]:
    body = {"kind": "offender_manager", "name": "Jo Bloggs", "organisation": "Probation"}
    made = await user.client.post("/contacts", json=body | fields)
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_case_page_adds_a_note_and_corrects_it_in_the_browser(
    browsing: Browsing, caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    contact = await new_contact(caseworker, name=f"{SCRIPT}Jo Bloggs")
    await file_document(title="Letter to the OM", doc_type="correspondence")
    page = browsing.page
    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))
    await page.goto(f"/cases/{case['id']}")
    await browsing.check("case")
    assert await page.is_visible("[data-testid=no-notes]")

    await page.click("button:has-text('Add note')")
    await page.wait_for_selector(".govuk-error-summary")
    await browsing.check("case-note-missing")
    assert "Note is required." in (await page.text_content(".govuk-error-summary") or "")

    await page.fill("#note-text", f"Spoke to the OM.\nRecall agreed. {SCRIPT}")
    await page.click("button:has-text('Add note')")
    await page.wait_for_url("**?filed=note#notes")
    await browsing.check("case-note-added")
    shown = await page.text_content("[data-testid=notes]") or ""
    assert "Spoke to the OM." in shown and SCRIPT in shown
    assert caseworker.username in shown
    assert await page.evaluate("() => window.injected") is None

    await page.click("[data-testid=note] summary:has-text('Correct this note')")
    correction = page.locator("[data-testid=note] textarea")
    await correction.fill("Spoke to the OM. Recall not yet agreed.")
    await page.click("button:has-text('Add correction')")
    await page.wait_for_url("**?filed=correction#notes")
    await browsing.check("case-note-corrected")
    assert await page.locator("[data-testid=note]").count() == 2
    assert await page.locator("[data-testid=corrected-by]").count() == 1
    # The correction is newest, so first; the old note, after it, shows it was corrected.
    old = page.locator("[data-testid=note]").nth(1)
    assert "Corrected" in (await old.text_content() or "")
    assert "Recall agreed." in (await old.text_content() or "")

    # Name the contact as the case's offender manager, then log a letter to them.
    await page.click("[data-testid=link-contact] summary")
    await page.select_option("#link-contact", contact["id"])
    await page.select_option("#link-role", "offender_manager")
    await page.click("button:has-text('Add to the case')")
    await page.wait_for_url("**?filed=contact#contacts")
    await browsing.check("case-contact-added")
    assert SCRIPT in (await page.text_content("[data-testid=case-contacts]") or "")

    await page.click("[data-testid=log-correspondence] summary")
    await page.select_option("#letter-direction", "sent")
    await page.fill("#letter-date-day", "31")
    await page.fill("#letter-date-month", "2")
    await page.fill("#letter-date-year", "2026")
    await page.select_option("#letter-contact", contact["id"])
    await page.select_option("#letter-document", label="Letter to the OM")
    await page.click("button:has-text('Log correspondence')")
    await page.wait_for_selector(".govuk-error-summary")
    await browsing.check("case-letter-bad-date")
    summary = await page.text_content(".govuk-error-summary") or ""
    assert "Date must be a real date" in summary and "Subject is required." in summary

    await page.fill("#letter-date-day", "27")
    await page.fill("#letter-subject", "Request for the Part A report")
    await page.click("button:has-text('Log correspondence')")
    await page.wait_for_url("**?filed=letter#correspondence")
    await browsing.check("case-letter-logged")
    logged = await page.text_content("[data-testid=correspondence]") or ""
    assert "27 February 2026" in logged and "Request for the Part A report" in logged
    assert "Letter to the OM" in logged and "Sent to" in logged
    assert await page.evaluate("() => window.injected") is None


async def test_case_file_forms_refuse_without_csrf_and_for_readers(
    browser_client: httpx.AsyncClient, make_user: MakeUser, case: dict[str, Any], store: Store
) -> None:
    viewer = await make_user("viewer")
    token = await pages_signed_in(browser_client, viewer)

    shown = await browser_client.get(f"/cases/{case['id']}")
    assert shown.status_code == 200
    assert 'id="notes"' in shown.text and "Add note" not in shown.text
    forged = await browser_client.post(f"/cases/{case['id']}/notes", data={"note-text": "x"})
    assert forged.status_code == 403
    refused = await browser_client.post(
        f"/cases/{case['id']}/notes", data={"csrf_token": token, "note-text": "x"}
    )
    assert refused.status_code == 403
    assert await store.db["notes"].count_documents({}) == 0


async def test_case_page_shows_external_users_no_case_file(
    browser_client: httpx.AsyncClient,
    caseworker: User,
    make_user: MakeUser,
    case: dict[str, Any],
    store: Store,
) -> None:
    await caseworker.client.post(f"/cases/{case['id']}/notes", json={"text": "Risk view"})
    stored = await store.db["cases"].find_one({"_id": ObjectId(case["id"])})
    assert stored is not None
    member = await make_user("viewer", team="board", external=True, organisation="Board")
    await access.associate(store, SYSTEM, stored, {"user_id": member.id, "until": None})
    token = await pages_signed_in(browser_client, member)

    shown = await browser_client.get(f"/cases/{case['id']}")
    assert shown.status_code == 200
    assert "Risk view" not in shown.text and 'id="notes"' not in shown.text
    assert 'href="/contacts"' not in shown.text
    posted = await browser_client.post(
        f"/cases/{case['id']}/notes", data={"csrf_token": token, "note-text": "x"}
    )
    assert posted.status_code == 404
    assert (await browser_client.get("/contacts")).status_code == 403


async def test_contacts_directory_pages_add_find_and_change(
    clock: Clock, browser_client: httpx.AsyncClient, caseworker: User
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    listed = await browser_client.get("/contacts")
    assert listed.status_code == 200 and "Add a contact" in listed.text

    refused = await browser_client.post(
        "/contacts",
        data={"csrf_token": token, "kind": "prison", "name": SCRIPT, "email": "nope"},
    )
    assert refused.status_code == 422
    assert "E-mail address must be an e-mail address" in refused.text
    assert SCRIPT not in refused.text and "&lt;script&gt;" in refused.text

    added = await browser_client.post(
        "/contacts",
        data={
            "csrf_token": token,
            "kind": "prison",
            "name": "HMP Leeds",
            "address": "2 Gloucester Terrace\r\nLeeds",
        },
    )
    assert added.status_code == 303, added.text
    shown = await browser_client.get(added.headers["location"])
    assert "Contact added." in shown.text and "2 Gloucester Terrace<br>Leeds" in shown.text
    found = await browser_client.get("/contacts", params={"q": "leeds", "search-kind": "prison"})
    assert "HMP Leeds" in found.text
    missing = await browser_client.get("/contacts", params={"q": "durham"})
    assert "No contacts match." in missing.text

    changed = await browser_client.post(
        added.headers["location"].split("?")[0],
        data={"csrf_token": token, "kind": "prison", "name": "HMP Leeds", "phone": "0113 000 0000"},
    )
    assert changed.status_code == 303, changed.text
    after = await browser_client.get(changed.headers["location"])
    assert "Contact changed." in after.text and "0113 000 0000" in after.text
    assert "Gloucester" not in after.text  # left empty on the form: removed
