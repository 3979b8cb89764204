"""Changing a person's details in the browser: the dates retention starts from, refusals, races."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from records.store import Store
from tests.conftest import MakeUser, User, open_case
from tests.web.conftest import Browsing, Person, pages_signed_in, sign_in


def details(token: str, revision: str = "1", **changed: str) -> dict[str, str]:
    """The details form as the offender fixture's page fills it, with the changes given."""
    form = {
        "csrf_token": token,
        "revision": revision,
        "family_name": "Example",
        "given_names": "Alex Sam",
        "date_of_birth-day": "12",
        "date_of_birth-month": "4",
        "date_of_birth-year": "1985",
        "aliases": "",
    }
    return form | changed


def form_fields(page: str) -> dict[str, str]:
    """The details form's fields and values as the page shows them."""
    form = page.split('data-testid="edit-offender"')[1].split("</form>")[0]
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    aliases = re.search(r'<textarea[^>]*name="aliases"[^>]*>([^<]*)</textarea>', form)
    return fields | {"aliases": html.unescape(aliases.group(1)) if aliases else ""}


async def test_offender_details_saved_from_the_page_set_the_dates_retention_starts_from(
    store: Store,
    browser_client: httpx.AsyncClient,
    caseworker: User,
    offender: dict[str, Any],
    case: dict[str, Any],
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    form = details(
        token,
        nomis_number="a1234aa",
        aliases="Alex Smith\n\n  Sam Example  \n",
        **{"date_of_death-day": "3", "date_of_death-month": "2", "date_of_death-year": "2026"},
        **{
            "sentence_expiry_date-day": "1",
            "sentence_expiry_date-month": "6",
            "sentence_expiry_date-year": "2030",
        },
    )

    saved = await browser_client.post(f"/offenders/{offender['id']}", data=form)
    shown = await browser_client.get(saved.headers["location"])

    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/offenders/{offender['id']}?done=changed"
    assert "The details were saved." in shown.text
    assert "3 February 2026" in shown.text and "1 June 2030" in shown.text
    stored = await store.db["offenders"].find_one({})
    assert stored is not None
    assert stored["date_of_death"] == "2026-02-03"
    assert stored["sentence_expiry_date"] == "2030-06-01"
    assert stored["nomis_number"] == "A1234AA"
    assert stored["aliases"] == ["Alex Smith", "Sam Example"]
    assert "licence_expiry_date" not in stored
    event = await store.db["audit"].find_one({"action": "offender.update"})
    assert event is not None and event["user"] == caseworker.username


async def test_offender_details_left_empty_are_removed(
    store: Store, browser_client: httpx.AsyncClient, caseworker: User, offender: dict[str, Any]
) -> None:
    await caseworker.client.patch(
        f"/offenders/{offender['id']}",
        json={"nomis_number": "A1234AA", "date_of_death": "2026-01-05"},
    )
    token = await pages_signed_in(browser_client, caseworker)
    page = await browser_client.get(f"/offenders/{offender['id']}")
    assert 'value="A1234AA"' in page.text and 'name="date_of_death-day"' in page.text

    saved = await browser_client.post(f"/offenders/{offender['id']}", data=details(token, "2"))

    assert saved.status_code == 303, saved.text
    stored = await store.db["offenders"].find_one({})
    assert stored is not None
    assert "nomis_number" not in stored and "date_of_death" not in stored


async def test_offender_details_refused_are_named_beside_their_fields_and_nothing_is_saved(
    store: Store,
    browser_client: httpx.AsyncClient,
    caseworker: User,
    offender: dict[str, Any],
    case: dict[str, Any],
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    url = f"/offenders/{offender['id']}"
    typed = '"><script>alert(1)</script>'
    future = {
        "date_of_death-day": "1",
        "date_of_death-month": "1",
        "date_of_death-year": "2199",
    }
    unreal = {
        "licence_expiry_date-day": "31",
        "licence_expiry_date-month": "2",
        "licence_expiry_date-year": "2030",
    }
    before_birth = {
        "sentence_expiry_date-day": "1",
        "sentence_expiry_date-month": "1",
        "sentence_expiry_date-year": "1970",
    }
    half = {"date_of_death-day": "4", "date_of_death-year": "2020"}

    in_the_future = await browser_client.post(url, data=details(token, aliases=typed, **future))
    not_a_date = await browser_client.post(url, data=details(token, **unreal))
    too_early = await browser_client.post(url, data=details(token, **before_birth))
    no_month = await browser_client.post(url, data=details(token, **half))
    no_name = await browser_client.post(url, data=details(token, family_name=""))
    no_birth = await browser_client.post(url, data=details(token, **{"date_of_birth-day": ""}))
    bad_noms = await browser_client.post(url, data=details(token, nomis_number="12345"))
    bad_revision = await browser_client.post(url, data=details(token, revision="one"))

    assert in_the_future.status_code == 422
    assert '<a href="#date_of_death-day">Date of death must not be in the future.</a>' in (
        in_the_future.text
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in in_the_future.text
    assert "<script>alert(1)" not in in_the_future.text
    assert not_a_date.status_code == 422
    assert "Licence expiry date must be a real date" in not_a_date.text
    assert too_early.status_code == 422
    assert "Sentence expiry date must not be before the date of birth" in too_early.text
    assert no_month.status_code == 422
    assert '<a href="#date_of_death-month">Date of death must include a month</a>' in no_month.text
    assert no_name.status_code == 422 and '<a href="#family_name">' in no_name.text
    assert no_birth.status_code == 422 and "Date of birth must include a day" in no_birth.text
    assert bad_noms.status_code == 422 and '<a href="#nomis_number">' in bad_noms.text
    assert bad_revision.status_code == 400
    assert "There is a problem with the link" in bad_revision.text
    assert "Traceback" not in bad_revision.text
    stored = await store.db["offenders"].find_one({})
    assert stored is not None and stored.get("revision", 1) == 1
    assert await store.db["audit"].count_documents({"action": "offender.update"}) == 0


async def test_offender_details_taken_by_another_person_are_refused_beside_the_number(
    browser_client: httpx.AsyncClient, caseworker: User, offender: dict[str, Any]
) -> None:
    other = await caseworker.client.post(
        "/offenders",
        json={
            "family_name": "Other",
            "given_names": "Jo",
            "date_of_birth": "1990-01-01",
            "nomis_number": "B2345BB",
        },
    )
    assert other.status_code == 201, other.text
    token = await pages_signed_in(browser_client, caseworker)

    taken = await browser_client.post(
        f"/offenders/{offender['id']}", data=details(token, nomis_number="B2345BB")
    )

    assert taken.status_code == 422
    assert '<a href="#nomis_number">' in taken.text and "already exists" in taken.text


async def test_offender_details_changed_meanwhile_are_shown_not_overwritten_by_saving_again(
    store: Store,
    browser_client: httpx.AsyncClient,
    caseworker: User,
    offender: dict[str, Any],
    case: dict[str, Any],
) -> None:
    await caseworker.client.patch(f"/offenders/{offender['id']}", json={"pnc_number": "99/1X"})
    await pages_signed_in(browser_client, caseworker)
    opened = form_fields((await browser_client.get(f"/offenders/{offender['id']}")).text)
    # Someone else records the licence expiry after this page was opened at revision 2.
    meanwhile = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"licence_expiry_date": "2029-01-01"}
    )
    assert meanwhile.status_code == 200, meanwhile.text

    # Given names changed; the PNC typed again in small letters, the same identifier.
    typed = opened | {"given_names": "Alexander Sam", "pnc_number": "99/1x"}
    stale = await browser_client.post(f"/offenders/{offender['id']}", data=typed)
    # Saved again as the page now stands, with the change entered again.
    shown = form_fields(stale.text)
    again = await browser_client.post(
        f"/offenders/{offender['id']}", data=shown | {"given_names": "Alexander Sam"}
    )

    assert stale.status_code == 422
    assert "Someone else changed this person" in stale.text
    assert shown["revision"] == "3" and shown["given_names"] == "Alex Sam"
    assert shown["licence_expiry_date-year"] == "2029"
    unsaved = stale.text.split('data-testid="unsaved"')[1].split("</dl>")[0]
    assert "Given names" in unsaved and "Alexander Sam" in unsaved
    assert "Licence expiry" not in unsaved and "PNC" not in unsaved
    assert again.status_code == 303, again.text
    stored = await store.db["offenders"].find_one({})
    assert stored is not None and stored["given_names"] == "Alexander Sam"
    assert stored["licence_expiry_date"] == "2029-01-01"


async def test_offender_details_of_another_teams_person_are_not_offered_nor_changed(
    store: Store,
    browser_client: httpx.AsyncClient,
    make_user: MakeUser,
    caseworker: User,
    offender: dict[str, Any],
    case: dict[str, Any],
) -> None:
    stranger = await make_user("caseworker", team="another-team")
    token = await pages_signed_in(browser_client, stranger)

    shown = await browser_client.get(f"/offenders/{offender['id']}")
    refused = await browser_client.post(
        f"/offenders/{offender['id']}", data=details(token, family_name="Changed")
    )

    assert shown.status_code == 200 and 'data-testid="edit-offender"' not in shown.text
    assert refused.status_code == 403
    bad_date = await browser_client.post(
        f"/offenders/{offender['id']}", data=details(token, **{"date_of_death-day": "31"})
    )
    assert bad_date.status_code == 403  # refused for who they are, not for the date
    stored = await store.db["offenders"].find_one({})
    assert stored is not None and stored["family_name"] == "Example"


async def test_offender_details_without_a_form_token_are_refused(
    browser_client: httpx.AsyncClient, caseworker: User, offender: dict[str, Any]
) -> None:
    await pages_signed_in(browser_client, caseworker)
    form = details("")
    del form["csrf_token"]

    refused = await browser_client.post(f"/offenders/{offender['id']}", data=form)

    assert refused.status_code == 403


async def test_offender_date_of_death_recorded_in_the_browser(
    browsing: Browsing, caseworker: User, offender: dict[str, Any], case: dict[str, Any]
) -> None:
    await open_case(caseworker.client, offender["id"], title="Parole review")
    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))
    page = browsing.page

    await page.goto(f"/offenders/{offender['id']}")
    await browsing.check("offender")
    await page.fill("#date_of_death-day", "31")
    await page.fill("#date_of_death-month", "2")
    await page.fill("#date_of_death-year", "2026")
    await page.click("button:has-text('Save changes')")
    await browsing.check("offender-refused")
    summary = await page.text_content(".govuk-error-summary") or ""
    assert "Date of death must be a real date" in summary
    await page.click(".govuk-error-summary a")
    assert await page.evaluate("document.activeElement.id") == "date_of_death-day"

    await page.fill("#date_of_death-day", "28")
    await page.click("button:has-text('Save changes')")
    await browsing.check("offender-saved")
    assert "The details were saved." in (await page.text_content("main") or "")
    details_list = await page.text_content("[data-testid=offender-details]") or ""
    assert "28 February 2026" in details_list
