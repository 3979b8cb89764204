"""Importing from CSV in the browser: check, read every row's outcome, then import."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from records import users
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import PASSWORD, MakeUser, User
from tests.server.test_imports import BAD_OFFENDERS, GOOD_OFFENDERS
from tests.web.conftest import Browsing, Person, pages_signed_in, sign_in


async def check(
    client: httpx.AsyncClient, token: str, text: bytes, *, kind: str = "offenders"
) -> httpx.Response:
    return await client.post(
        "/imports",
        data={"csrf_token": token, "kind": kind},
        files={"file": ("caseload.csv", text, "text/csv")},
    )


def import_action(page: str) -> str:
    found = re.search(r'action="(/imports/[0-9a-f]{24})"', page)
    assert found, "the page offers no import"
    return found.group(1)


async def test_a_checked_file_is_imported_exactly_once_by_its_uploader(
    store: Store, browser_client: httpx.AsyncClient, caseworker: User, make_user: MakeUser
) -> None:
    token = await pages_signed_in(browser_client, caseworker)

    checked = await check(browser_client, token, GOOD_OFFENDERS.encode())
    action = import_action(checked.text)
    imported = await browser_client.post(action, data={"csrf_token": token})
    again = await browser_client.post(action, data={"csrf_token": token})
    shown = await browser_client.get(imported.headers["location"])

    assert checked.status_code == 200 and "All 2 rows can be imported" in checked.text
    assert imported.status_code == 303
    assert imported.headers["location"] == action.replace("/imports/", "/imports?done=")
    assert "2 rows were imported" in shown.text
    assert again.status_code == 404  # the checked file went with the import
    assert await store.db["offenders"].count_documents({"nomis_number": "A1234BC"}) == 1
    left = await store.db["import_drafts"].find_one({})
    assert left is not None and "csv" not in left and left["imported"] == 2


async def test_a_checked_file_sent_several_times_at_once_is_imported_once(
    store: Store, browser_client: httpx.AsyncClient, caseworker: User
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    action = import_action((await check(browser_client, token, GOOD_OFFENDERS.encode())).text)

    sent = await asyncio.gather(
        *(browser_client.post(action, data={"csrf_token": token}) for _ in range(4))
    )

    assert sorted(r.status_code for r in sent) == [303, 404, 404, 404], [r.text for r in sent]
    gone = next(r for r in sent if r.status_code == 404)
    assert "This checked file has gone" in gone.text and "imported already" in gone.text
    assert await store.db["offenders"].count_documents({"nomis_number": "A1234BC"}) == 1
    assert await store.db["audit"].count_documents({"action": "offender.create"}) == 2


async def test_the_import_announced_is_the_users_own_not_a_number_in_the_link(
    browser_client: httpx.AsyncClient, caseworker: User, make_user: MakeUser
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    action = import_action((await check(browser_client, token, GOOD_OFFENDERS.encode())).text)
    checked_only = await browser_client.get(action.replace("/imports/", "/imports?done="))
    imported = await browser_client.post(action, data={"csrf_token": token})
    written = await browser_client.get("/imports", params={"done": "99999"})

    other = await make_user("caseworker")
    await pages_signed_in(browser_client, other)
    someone_else = await browser_client.get(imported.headers["location"])

    assert "rows were imported" not in checked_only.text
    assert "rows were imported" not in written.text and written.status_code == 200
    assert "rows were imported" not in someone_else.text


async def test_someone_elses_checked_file_is_not_theirs_to_import(
    store: Store, browser_client: httpx.AsyncClient, caseworker: User, make_user: MakeUser
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    action = import_action((await check(browser_client, token, GOOD_OFFENDERS.encode())).text)

    other = await make_user("caseworker")
    other_token = await pages_signed_in(browser_client, other)
    taken = await browser_client.post(action, data={"csrf_token": other_token})

    assert taken.status_code == 404
    assert await store.db["offenders"].count_documents({"nomis_number": "A1234BC"}) == 0


async def test_refused_rows_and_bad_files_are_shown_and_nothing_is_imported(
    store: Store, browser_client: httpx.AsyncClient, caseworker: User
) -> None:
    token = await pages_signed_in(browser_client, caseworker)
    before = await store.db["offenders"].count_documents({})

    refused = await check(browser_client, token, BAD_OFFENDERS.encode())
    windows = await check(
        browser_client,
        token,
        "family_name,given_names,date_of_birth\nNúñez,José,1980-01-01\n".encode("cp1252"),
    )
    no_file = await browser_client.post("/imports", data={"csrf_token": token, "kind": "cases"})
    forged = await browser_client.post(
        "/imports",
        data={"kind": "offenders"},
        files={"file": ("caseload.csv", GOOD_OFFENDERS.encode(), "text/csv")},
    )

    assert refused.status_code == 200
    assert "5 of 6 rows have problems" in refused.text
    assert "NOMS number E5678FG is also on line 4" in refused.text
    assert 'action="/imports/' not in refused.text  # nothing to import until fixed
    assert windows.status_code == 422 and "not UTF-8 text (lines 2)" in windows.text
    assert no_file.status_code == 422 and "Choose a CSV file" in no_file.text
    assert forged.status_code == 403
    assert await store.db["offenders"].count_documents({}) == before


async def test_reports_page_downloads_each_report(
    browser_client: httpx.AsyncClient, caseworker: User, case: dict[str, str]
) -> None:
    await pages_signed_in(browser_client, caseworker)

    listed = await browser_client.get("/reports")
    names = re.findall(r'href="/reports/([a-z-]+)\.csv"', listed.text)
    downloads = [await browser_client.get(f"/reports/{name}.csv") for name in names]
    missing = await browser_client.get("/reports/nothing.csv")

    assert names == ["cases-by-state", "deadlines-by-month", "open-cases", "documents-awaited"]
    assert all(d.status_code == 200 for d in downloads)
    assert case["id"] in downloads[2].text
    assert missing.status_code == 404


async def test_caseworker_imports_offenders_in_the_browser(
    store: Store, browsing: Browsing, tmp_path: Path
) -> None:
    made = await users.create_user(
        store, SYSTEM, "web-importer", level="caseworker", team="ppcs", password=PASSWORD
    )
    assert made.totp_secret is not None
    sheet = tmp_path / "caseload.csv"
    sheet.write_text(GOOD_OFFENDERS, encoding="utf-8")
    page = browsing.page
    await sign_in(browsing, Person("web-importer", made.totp_secret))

    await page.click("a:has-text('Reports')")
    await page.wait_for_url("**/reports")
    await browsing.check("reports")
    await page.click("a:has-text('Import offenders or cases')")
    await browsing.check("imports")
    await page.set_input_files("#file", str(sheet))
    await page.click("button:has-text('Check the file')")
    await page.wait_for_selector("[data-testid=import-ready]")
    await browsing.check("import-checked")
    await page.click("button:has-text('Import these 2 rows')")
    await page.wait_for_selector("text=2 rows were imported")
    await browsing.check("imported")

    assert await store.db["offenders"].count_documents({"created_by": "web-importer"}) == 2


async def test_checking_again_replaces_the_last_check_and_a_large_file_is_refused_on_the_form(
    store: Store, browser_client: httpx.AsyncClient, caseworker: User
) -> None:
    token = await pages_signed_in(browser_client, caseworker)

    first = await check(browser_client, token, GOOD_OFFENDERS.encode())
    second = await check(browser_client, token, GOOD_OFFENDERS.encode())
    stale = await browser_client.post(import_action(first.text), data={"csrf_token": token})
    large = await check(browser_client, token, b"family_name\n" + b"x" * (3 * 1024 * 1024))

    assert second.status_code == 200 and "All 2 rows can be imported" in second.text
    assert stale.status_code == 404  # only the newest check can be imported
    assert await store.db["import_drafts"].count_documents({}) == 1
    assert large.status_code == 422 and "at most 2 MiB" in large.text
