"""Browser tests: the real app on the real embedded database, driven by Debian's Chromium.

Every page a test visits is checked with axe-core (any serious or critical
violation fails the test) and saved as a screenshot under tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from starlette.applications import Starlette

from records import users
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import PASSWORD, User, live_server
from web import session
from web.assets import AXE

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Playwright already starts Chromium with a fresh profile in a temporary directory.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
FAILING_IMPACTS = {"serious", "critical"}


def _chromium_installed() -> bool:
    return CHROMIUM.exists()


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not _chromium_installed():
        message = f"the browser tests need Chromium at {CHROMIUM}: run make setup"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def site(app: Starlette) -> AsyncIterator[str]:
    """The app served over TCP, as `ppud serve` does, on this test's database."""
    async with live_server(app) as url:
        yield url


@dataclass
class Visits:
    """Each page a test reached, and whether it was checked (axe) and saved (screenshot)."""

    test_name: str
    unchecked: list[str] = field(default_factory=list)
    count: int = 0


class Browsing:
    """A fresh browser context (its own cookies and storage) and the checks on its pages."""

    def __init__(
        self,
        site: str,
        context: BrowserContext,
        page: Page,
        visits: Visits,
        *,
        axe_page: Page | None = None,
    ) -> None:
        self.site = site
        self.context = context
        self.page = page
        self.visits = visits
        # With JavaScript off, axe-core cannot run in the page itself: it runs on
        # a copy of the page's markup in a page of its own.
        self.axe_page = axe_page
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame: Any) -> None:
        if frame == self.page.main_frame:
            self.visits.unchecked.append(frame.url)

    async def check(self, label: str) -> None:
        """Run axe-core on the page as it is now, then save a screenshot of it."""
        await self.page.wait_for_load_state("load")
        violations = await accessibility_violations(await self._page_for_axe())
        self.visits.count += 1
        name = re.sub(r"[^a-z0-9]+", "-", f"{self.visits.test_name}-{self.visits.count}-{label}")
        ARTIFACTS.mkdir(exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        self.visits.unchecked.clear()
        assert not violations, f"{label} ({self.page.url}): {violations}"

    async def _page_for_axe(self) -> Page:
        if self.axe_page is None:
            return self.page
        html = await self.page.content()
        # The same markup and styles, without the scripts JavaScript would have run.
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
        html = html.replace("<head>", f'<head><base href="{self.site}/">', 1)
        await self.axe_page.set_content(html, wait_until="load")
        return self.axe_page


async def accessibility_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(_axe_source())
    results = await page.evaluate("async () => await window.axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


@contextlib.asynccontextmanager
async def open_browsing(
    browser: Browser, site: str, *, javascript: bool
) -> AsyncIterator[Browsing]:
    """A fresh context; on leaving, any page reached but not checked fails the test."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "test").split(" ")[0].rsplit("::", 1)[-1]
    # bypass_csp lets axe-core run on pages whose policy allows only our own scripts.
    context = await browser.new_context(
        base_url=site, java_script_enabled=javascript, bypass_csp=True
    )
    checker = None if javascript else await browser.new_context(bypass_csp=True)
    try:
        page = await context.new_page()
        page.set_default_timeout(10_000)
        axe_page = await checker.new_page() if checker else None
        suffix = "" if javascript else "-nojs"
        visits = Visits(test.lower() + suffix)
        opened = Browsing(site, context, page, visits, axe_page=axe_page)
        yield opened
        assert not opened.visits.unchecked, f"pages not checked: {opened.visits.unchecked}"
    finally:
        await context.close()
        if checker is not None:
            await checker.close()


@pytest.fixture
async def browsing(browser: Browser, site: str) -> AsyncIterator[Browsing]:
    async with open_browsing(browser, site, javascript=True) as opened:
        yield opened


@pytest.fixture
async def browsing_without_javascript(browser: Browser, site: str) -> AsyncIterator[Browsing]:
    async with open_browsing(browser, site, javascript=False) as opened:
        yield opened


@dataclass(frozen=True)
class Person:
    username: str
    totp_secret: str | None

    def code(self) -> str:
        assert self.totp_secret is not None
        return str(pyotp.TOTP(self.totp_secret).now())


async def new_person(store: Store, *, with_totp: bool = True, team: str = "ppcs") -> Person:
    name = f"web-{uuid.uuid4().hex[:6]}"
    created = await users.create_user(
        store,
        SYSTEM,
        name,
        level="caseworker",
        team=team,
        password=PASSWORD,
        with_totp=with_totp,
    )
    return Person(name, created.totp_secret)


async def enter_password(page: Page, person: Person) -> None:
    """The first step of signing in: username and password, then Continue."""
    await page.fill("#username", person.username)
    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Continue')")


async def sign_in(browsing: Browsing, person: Person) -> None:
    """Username and password, then the code: the home page, every step checked."""
    page = browsing.page
    await page.goto("/sign-in")
    await browsing.check("sign-in")
    await enter_password(page, person)
    await page.wait_for_url("**/sign-in/code")
    await browsing.check("code")
    await page.fill("#code", person.code())
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(f"{browsing.site}/")
    await browsing.check("home")


@pytest.fixture
async def browser_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the pages (not a browser): for checks that need no JavaScript."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.5", 40100))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def pages_signed_in(client: httpx.AsyncClient, user: User) -> str:
    """Sign the client in as user through the pages; the session's CSRF token."""
    await client.get("/sign-in")
    token = client.cookies[session.FORM_COOKIE]
    form = {"csrf_token": token, "username": user.username, "password": PASSWORD}
    assert (await client.post("/sign-in", data=form)).status_code == 303
    code = {"csrf_token": token, "code": user.totp()}
    assert (await client.post("/sign-in/code", data=code)).status_code == 303
    home = await client.get("/")
    assert home.status_code == 200
    return home.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
