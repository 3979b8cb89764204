"""Pages over plain HTTP: CSRF on every form, cookies, headers, error pages, times."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from records import credentials
from records.store import Store
from server.app import create_app
from server.config import Settings
from tests.conftest import PASSWORD, User
from tests.web.conftest import pages_signed_in
from web import pages, session
from web.templating import london_time

POST_PATHS = sorted({r.path for r in pages.routes if "POST" in (r.methods or set())})


@pytest.mark.parametrize("path", POST_PATHS)
async def test_page_post_without_the_csrf_token_is_refused_with_a_page(
    browser_client: httpx.AsyncClient, caseworker: User, path: str
) -> None:
    await pages_signed_in(browser_client, caseworker)

    for data in ({}, {"csrf_token": "forged"}):
        refused = await browser_client.post(path, data=data)

        assert refused.status_code == 403, path
        assert refused.headers["content-type"].startswith("text/html")
        assert "This form has expired" in refused.text


async def test_page_post_csrf_token_of_another_session_is_refused(
    browser_client: httpx.AsyncClient, caseworker: User, store: Store
) -> None:
    other = await credentials.sign_in(
        store, caseworker.username, PASSWORD, caseworker.totp(), ip=None
    )
    await browser_client.get("/sign-in")
    mine = await _signed_in_again(browser_client, store, caseworker)

    refused = await browser_client.post("/sign-out", data={"csrf_token": other.csrf_token})

    assert refused.status_code == 403
    assert mine != other.csrf_token


async def _signed_in_again(client: httpx.AsyncClient, store: Store, user: User) -> str:
    # The TOTP code of this time step is used up: a recovery code signs in instead.
    codes = await credentials.replace_recovery_codes(store, user.actor, user.id)
    token = client.cookies[session.FORM_COOKIE]
    form = {"csrf_token": token, "username": user.username, "password": PASSWORD}
    await client.post("/sign-in", data=form)
    await client.post("/sign-in/code", data={"csrf_token": token, "code": codes[0]})
    home = await client.get("/")
    return home.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def test_page_session_cookie_is_http_only_and_same_site_lax(
    browser_client: httpx.AsyncClient, caseworker: User
) -> None:
    await browser_client.get("/sign-in")
    token = browser_client.cookies[session.FORM_COOKIE]
    form = {"csrf_token": token, "username": caseworker.username, "password": PASSWORD}
    await browser_client.post("/sign-in", data=form)

    signed_in = await browser_client.post(
        "/sign-in/code", data={"csrf_token": token, "code": caseworker.totp()}
    )

    cookie = next(
        v for k, v in signed_in.headers.multi_items() if k == "set-cookie" and "ppud_session" in v
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # local development


async def test_page_cookies_are_secure_outside_development(
    settings: Settings, store: Store
) -> None:
    production = Settings(data_dir=settings.data_dir, environment="production")
    application = create_app(production, store=store)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://ppud.test") as client:
            answered = await client.get("/sign-in")

    assert "Secure" in answered.headers["set-cookie"]
    assert "HttpOnly" in answered.headers["set-cookie"]


async def test_page_headers_forbid_framing_inline_script_and_caching(
    browser_client: httpx.AsyncClient,
) -> None:
    answered = await browser_client.get("/sign-in")

    assert "script-src 'self'" in answered.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in answered.headers["content-security-policy"]
    assert answered.headers["cache-control"] == "no-store"
    assert answered.headers["x-frame-options"] == "DENY"


async def test_page_home_without_a_session_redirects_to_sign_in(
    browser_client: httpx.AsyncClient,
) -> None:
    answered = await browser_client.get("/")

    assert answered.status_code == 303
    assert answered.headers["location"] == "/sign-in"


async def test_page_sign_in_never_returns_to_another_site(
    browser_client: httpx.AsyncClient,
) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answered = await browser_client.get("/sign-in", params={"next": target})
        assert 'name="next" value="/"' in answered.text


async def test_page_unknown_path_is_a_gov_uk_404_page(browser_client: httpx.AsyncClient) -> None:
    answered = await browser_client.get("/no/such/page")

    assert answered.status_code == 404
    assert answered.headers["content-type"].startswith("text/html")
    assert "Page not found" in answered.text
    assert 'class="govuk-template"' in answered.text


async def test_page_api_errors_stay_problem_json(browser_client: httpx.AsyncClient) -> None:
    answered = await browser_client.get("/api/v1/no-such-route")

    assert answered.status_code == 404
    assert answered.headers["content-type"] == "application/problem+json"


async def test_page_crash_is_a_500_page_without_a_stack_trace(
    settings: Settings, store: Store
) -> None:
    async def explode(request: Request) -> Response:
        raise RuntimeError("secret internals")

    application = create_app(settings, store=store)
    application.router.routes.append(Route("/explode", explode, methods=["GET"]))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answered = await client.get("/explode")

    assert answered.status_code == 500
    assert "Sorry, there is a problem with the service" in answered.text
    assert answered.headers["x-request-id"] in answered.text
    assert "secret internals" not in answered.text
    assert "Traceback" not in answered.text


async def test_page_assets_are_served_from_the_npm_packages(
    browser_client: httpx.AsyncClient,
) -> None:
    for path in (
        "/assets/govuk/govuk-frontend.min.css",
        "/assets/govuk/govuk-frontend.min.js",
        "/assets/moj/moj-frontend.min.css",
        "/assets/fonts/bold-b542beb274-v2.woff2",
        "/assets/images/icon-document.svg",
        "/assets/ppud/init.mjs",
    ):
        answered = await browser_client.get(path)
        assert answered.status_code == 200, path


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 1, 15, 9, 5, tzinfo=UTC), "15 January 2026 at 9:05am"),
        # British Summer Time: an hour ahead of UTC.
        (datetime(2026, 7, 1, 11, 0, tzinfo=UTC), "1 July 2026 at midday"),
        (datetime(2026, 3, 29, 23, 0, tzinfo=UTC), "30 March 2026 at midnight"),
        ("2026-10-25T13:30:00+00:00", "25 October 2026 at 1:30pm"),
        (datetime(2026, 12, 3, 17, 45), "3 December 2026 at 5:45pm"),  # naive: stored UTC
        (None, ""),
    ],
)
def test_london_time_shows_uk_local_time(moment: datetime | str | None, shown: str) -> None:
    assert london_time(moment) == shown
