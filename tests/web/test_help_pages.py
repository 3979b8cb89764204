"""The online help pages: a Help link on every screen, and administrators rewriting the help."""

from __future__ import annotations

from typing import Any

import httpx

from records import users
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import PASSWORD, File, MakeUser, User
from tests.web.conftest import Browsing, Person, pages_signed_in, sign_in

HOSTILE = (
    "Read this first.\n\n"
    "<script>document.title = 'ran'</script>\n\n"
    "[Select here](javascript:document.title='ran') and [here](/search).\n"
)


def help_link(html: str) -> str:
    return html.split('data-testid="help-link"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]


async def test_each_screen_links_to_its_own_help(
    browser_client: httpx.AsyncClient,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    filed = await file_document("office/testPDF.pdf")
    await pages_signed_in(browser_client, caseworker)

    links = {
        path: help_link((await browser_client.get(path)).text)
        for path in (
            "/",
            "/offenders",
            "/search",
            f"/cases/{case['id']}",
            f"/cases/{case['id']}/upload",
            f"/documents/{filed['id']}",
            "/lists",
            "/help/search",
        )
    }

    assert links == {
        "/": "/help/home",
        "/offenders": "/help/offenders",
        "/search": "/help/search",
        f"/cases/{case['id']}": "/help/case",
        f"/cases/{case['id']}/upload": "/help/upload",
        f"/documents/{filed['id']}": "/help/document",
        "/lists": "/help/lists",
        "/help/search": "/help/search",
    }
    for target in set(links.values()):
        assert (await browser_client.get(target)).status_code == 200


async def test_admin_previews_and_saves_help_that_is_shown_inert(
    store: Store, browser_client: httpx.AsyncClient, make_user: MakeUser, caseworker: User
) -> None:
    admin = await make_user("admin", team="hq")
    token = await pages_signed_in(browser_client, admin)

    form = await browser_client.get("/help/search/edit")
    revision = form.text.split('name="revision" value="', 1)[1].split('"', 1)[0]
    preview = await browser_client.post(
        "/help/search/edit",
        data={"csrf_token": token, "revision": revision, "markdown": HOSTILE, "action": "preview"},
    )
    unchanged = await store.db["help_pages"].find_one({"_id": "search"})
    saved = await browser_client.post(
        "/help/search/edit",
        data={"csrf_token": token, "revision": revision, "markdown": HOSTILE, "action": "save"},
    )
    shown = await browser_client.get(saved.headers["location"])

    assert form.status_code == 200 and "Edit this help page" not in form.text
    assert preview.status_code == 200 and 'data-testid="help-preview"' in preview.text
    assert unchanged is not None and unchanged["markdown"] != HOSTILE
    assert saved.status_code == 303 and saved.headers["location"] == "/help/search?done=saved"
    assert "Help page saved" in shown.text
    for html in (preview.text, shown.text):
        text = html.split('class="ppud-help', 1)[1].split("</div>", 1)[0]
        assert "<script" not in text and "&lt;script&gt;" in text
        assert 'href="javascript' not in text and '<a href="/search" class="govuk-link">' in text
    stored = await store.db["help_pages"].find_one({"_id": "search"})
    assert stored is not None and stored["markdown"] == HOSTILE


async def test_a_save_over_someone_elses_change_keeps_the_text_and_shows_theirs(
    browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin", team="hq")
    token = await pages_signed_in(browser_client, admin)
    other = await make_user("admin", team="hq")
    await other.client.put("/help/audit", json={"markdown": "Their **new** text"})

    conflict = await browser_client.post(
        "/help/audit/edit",
        data={"csrf_token": token, "revision": "1", "markdown": "My text", "action": "save"},
    )
    empty = await browser_client.post(
        "/help/audit/edit",
        data={"csrf_token": token, "revision": "2", "markdown": " ", "action": "save"},
    )

    assert conflict.status_code == 409
    assert "Someone else changed this help page" in conflict.text
    assert ">My text</textarea>" in conflict.text
    assert "Their <strong>new</strong> text" in conflict.text
    assert 'name="revision" value="2"' in conflict.text
    assert empty.status_code == 422 and 'href="#markdown"' in empty.text


async def test_non_administrators_read_help_but_cannot_edit_it(
    store: Store, browser_client: httpx.AsyncClient, caseworker: User
) -> None:
    token = await pages_signed_in(browser_client, caseworker)

    shown = await browser_client.get("/help/home")
    form = await browser_client.get("/help/home/edit")
    saved = await browser_client.post(
        "/help/home/edit",
        data={"csrf_token": token, "revision": "1", "markdown": "Rewritten", "action": "save"},
    )
    missing = await browser_client.get("/help/no_such_screen")

    assert shown.status_code == 200 and "Edit this help page" not in shown.text
    assert form.status_code == 403 and saved.status_code == 403
    assert missing.status_code == 404
    stored = await store.db["help_pages"].find_one({"_id": "home"})
    assert stored is not None and stored["markdown"] != "Rewritten"


async def test_help_opens_from_the_link_and_an_admin_rewrites_it_in_the_browser(
    store: Store, browsing: Browsing
) -> None:
    made = await users.create_user(
        store, SYSTEM, "help-admin", level="admin", team="hq", password=PASSWORD
    )
    assert made.totp_secret is not None
    page = browsing.page
    await sign_in(browsing, Person("help-admin", made.totp_secret))

    await page.click("[data-testid='help-link']")
    await page.wait_for_url("**/help/home")
    await browsing.check("help")
    await page.click("a:has-text('Edit this help page')")
    await page.wait_for_url("**/help/home/edit")
    await browsing.check("help-edit")
    await page.fill("#markdown", HOSTILE)
    await page.click("button:has-text('Preview')")
    await page.wait_for_selector("[data-testid='help-preview']")
    await browsing.check("help-preview")
    await page.click("button:has-text('Save help page')")
    await page.wait_for_selector("text=Help page saved")
    await browsing.check("help-saved")

    assert await page.title() != "ran"
    assert await page.locator("[data-testid='help-text'] script").count() == 0
    assert await page.locator("[data-testid='help-text'] a").count() == 1
    await page.click("[data-testid='help-text'] a:has-text('here')")
    await page.wait_for_url("**/search")
    await browsing.check("search")
