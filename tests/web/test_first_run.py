"""A fresh install in Chromium: the printed set-up link, the first administrator, the guide."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pyotp
import pytest

from records import credentials, users
from records.store import Store
from server.cli import announce_setup_link
from server.config import Settings
from tests.conftest import PASSWORD
from tests.web.conftest import Browsing


async def _printed_link(
    settings: Settings,
    store: Store,
    database_uri: str,
    site: str,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """The link serve prints for this site's database, exactly as it prints it."""
    host, port = site.removeprefix("http://").split(":")
    serving = replace(settings, host=host, port=int(port), database=store.db.name)
    # It runs its own event loop, as serve does before the web server starts.
    await asyncio.to_thread(announce_setup_link, serving.with_database_uri(database_uri))
    printed = capsys.readouterr().err
    links = re.findall(r"http://\S+/setup/\S+", printed)
    assert len(links) == 1, printed
    return links[0]


async def _create_first_admin(browsing: Browsing, link: str) -> None:
    page = browsing.page

    await page.goto(link)
    await browsing.check("setup")
    await page.fill("#username", "ada")
    await page.fill("#team", "ppcs")
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.click("button:has-text('Continue')")
    await page.wait_for_url("**/sign-in/enrol")
    await browsing.check("enrol")

    assert await page.locator("[data-testid=qr-code] svg[role=img]").count() == 1
    secret = "".join((await page.text_content("[data-testid=totp-secret]") or "").split())
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("button:has-text('Continue')")
    await browsing.check("recovery-codes")
    codes = await page.locator("[data-testid=recovery-codes] li").all_text_contents()
    assert len(codes) == credentials.RECOVERY_CODE_COUNT

    await page.click("a:has-text('Continue to PPUD')")
    await page.wait_for_url(f"{browsing.site}/")
    await browsing.check("home")


async def _assert_signed_in_admin_with_a_dead_link(browsing: Browsing, link: str) -> None:
    page = browsing.page
    assert await page.text_content("[data-testid=signed-in-user]") == "Signed in as ada"
    assert await page.is_visible("[data-testid=guided-start]")
    assert await page.locator("[data-testid=guided-start] li[data-testid^=step-]").count() == 5

    answered = await page.goto(link)
    await browsing.check("link-used")
    assert answered is not None and answered.status == 410
    assert await page.text_content("h1") == "This link no longer works"


async def test_first_run_printed_link_creates_the_admin_who_lands_on_the_guided_start(
    browsing: Browsing,
    settings: Settings,
    store: Store,
    database_uri: str,
    site: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    link = await _printed_link(settings, store, database_uri, site, capsys)

    await _create_first_admin(browsing, link)

    await _assert_signed_in_admin_with_a_dead_link(browsing, link)
    stored = await users.find_by_username(store, "ada")
    assert stored is not None and stored["level"] == "admin" and stored["totp_secret"]


async def test_first_run_works_without_javascript(
    browsing_without_javascript: Browsing,
    settings: Settings,
    store: Store,
    database_uri: str,
    site: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    link = await _printed_link(settings, store, database_uri, site, capsys)

    await _create_first_admin(browsing_without_javascript, link)

    await _assert_signed_in_admin_with_a_dead_link(browsing_without_javascript, link)
