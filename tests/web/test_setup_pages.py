"""The set-up link's pages over HTTP: every way in, and every way of being turned away."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from html import unescape
from typing import Any

import httpx
import pyotp
import pytest

from records import credentials, policy, setup, users
from records.store import Store
from server.auth import SESSION_COOKIE
from tests.conftest import PASSWORD, Clock, Ppud
from web import session


async def _link(store: Store) -> str:
    issued = await setup.issue_link(store)
    assert issued is not None
    return f"/setup/{issued.token}"


async def _open(client: httpx.AsyncClient, link: str) -> str:
    """The form, opened as a browser would; the CSRF token it carries."""
    answered = await client.get(link)
    assert answered.status_code == 200, answered.text
    return client.cookies[session.FORM_COOKIE]


def _form(csrf: str, **changes: str) -> dict[str, str]:
    fields = {
        "csrf_token": csrf,
        "username": "ada",
        "team": "ppcs",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    return fields | changes


def _summary(html: str) -> list[str]:
    found = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', html, re.S)
    assert found, html
    links = re.findall(r"<a [^>]*>(.*?)</a>", found.group(1), re.S)
    return [unescape(link.strip()) for link in links]


async def _user_count(store: Store) -> int:
    return await store.db[users.USERS].count_documents({})


def _wrong_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // totp.interval
    valid = {totp.generate_otp(s) for s in range(step - 2, step + 3)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def _secret_on(html: str) -> str:
    shown = re.search(r'data-testid="totp-secret">([^<]*)<', html)
    assert shown, html
    return "".join(shown.group(1).split())


async def test_setup_form_is_a_gov_uk_form_with_csrf_and_no_inline_script(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    link = await _link(store)

    answered = await browser_client.get(link)

    assert answered.status_code == 200
    html = answered.text
    assert '<h1 class="govuk-heading-l">Create the first administrator</h1>' in html
    csrf = browser_client.cookies[session.FORM_COOKIE]
    assert f'<input type="hidden" name="csrf_token" value="{csrf}">' in html
    assert f'action="{link}"' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert " style=" not in html
    assert re.search(r"\son[a-z]+=", html) is None
    assert "script-src 'self'" in answered.headers["content-security-policy"]
    # The address holds the token: no Referer may carry it off, to this site or another.
    assert answered.headers["referrer-policy"] == "no-referrer"
    assert answered.headers["cache-control"] == "no-store"


async def test_setup_pages_ask_the_policy_whether_set_up_is_open(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    link = await _link(store)

    with policy.watching() as opened:
        csrf = await _open(browser_client, link)
    with policy.watching() as sent:
        created = await browser_client.post(link, data=_form(csrf))

    assert created.status_code == 303
    assert "setup" in opened
    assert "setup" in sent


async def test_setup_creates_the_admin_then_enrols_totp_and_signs_in(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    link = await _link(store)
    csrf = await _open(browser_client, link)

    created = await browser_client.post(link, data=_form(csrf))
    assert created.status_code == 303
    assert created.headers["location"] == "/sign-in/enrol"
    enrol = await browser_client.get("/sign-in/enrol")
    assert enrol.status_code == 200
    assert 'data-testid="qr-code"' in enrol.text
    secret = _secret_on(enrol.text)
    codes = await browser_client.post(
        "/sign-in/enrol", data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()}
    )

    assert codes.status_code == 200
    assert codes.text.count("<li>") >= credentials.RECOVERY_CODE_COUNT
    assert SESSION_COOKIE in browser_client.cookies
    home = await browser_client.get("/")
    assert home.status_code == 200
    assert "Signed in as ada" in home.text
    assert 'data-testid="guided-start"' in home.text
    stored = await users.find_by_username(store, "ada")
    assert stored is not None
    assert (stored["level"], stored["team"], stored["totp_secret"]) == ("admin", "ppcs", secret)


async def test_setup_second_submission_after_success_is_gone(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    link = await _link(store)
    csrf = await _open(browser_client, link)
    assert (await browser_client.post(link, data=_form(csrf))).status_code == 303

    again = await browser_client.post(link, data=_form(csrf, username="eve"))
    reopened = await browser_client.get(link)

    assert again.status_code == 410
    assert reopened.status_code == 410
    assert "This link no longer works" in reopened.text
    assert "Traceback" not in reopened.text
    assert "used already" in reopened.text
    assert await _user_count(store) == 1


async def test_setup_expired_link_is_gone(
    browser_client: httpx.AsyncClient, store: Store, clock: Clock
) -> None:
    link = await _link(store)
    csrf = await _open(browser_client, link)

    clock.advance(setup.LINK_LIFETIME)
    opened = await browser_client.get(link)
    sent = await browser_client.post(link, data=_form(csrf))

    assert opened.status_code == 410
    assert "has expired" in opened.text
    assert "start ppud serve again for a new one" in opened.text
    assert sent.status_code == 410
    assert await _user_count(store) == 0


@pytest.mark.parametrize(
    "token",
    ["0" * 43, "not-a-token", "a" * 500, "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "..%2F..%2Fetc"],
)
async def test_setup_unknown_or_malformed_link_is_not_found(
    browser_client: httpx.AsyncClient, store: Store, token: str
) -> None:
    await _link(store)

    opened = await browser_client.get(f"/setup/{token}")
    csrf = browser_client.cookies[session.FORM_COOKIE]
    sent = await browser_client.post(f"/setup/{token}", data=_form(csrf))

    assert opened.status_code == 404
    assert "Page not found" in opened.text
    assert "<script>alert" not in opened.text
    assert sent.status_code == 404
    assert await _user_count(store) == 0


async def test_setup_weak_password_is_refused_and_keeps_the_link(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    link = await _link(store)
    csrf = await _open(browser_client, link)

    weak = "password1234"
    refused = await browser_client.post(
        link, data=_form(csrf, password=weak, password_confirm=weak)
    )

    assert refused.status_code == 422
    [message] = _summary(refused.text)
    assert message.startswith("Password is too easy to guess")
    assert weak not in refused.text
    assert 'value="ada"' in refused.text
    assert await _user_count(store) == 0
    assert (await browser_client.get(link)).status_code == 200


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"username": "", "team": "", "password": "", "password_confirm": ""},
            [
                "Enter a username",
                "Enter a team name",
                "Enter a password",
                "Enter the password again",
            ],
        ),
        ({"password_confirm": PASSWORD + "!"}, ["The passwords do not match"]),
        ({"password_confirm": ""}, ["Enter the password again"]),
        (
            {"username": "Not A Name!"},
            ["Username must use 2-64 lower-case letters, digits, '.', '_' or '-'."],
        ),
        (
            {"team": "<b>team</b>"},
            ["Team name must use 1-64 letters, digits, spaces, '.', '_' or '-'."],
        ),
        (
            {"password": "short", "password_confirm": "short"},
            ["Password must be at least 12 characters, not counting spaces around it."],
        ),
    ],
)
async def test_setup_missing_or_mismatched_fields_are_named_in_the_summary(
    browser_client: httpx.AsyncClient,
    store: Store,
    changes: dict[str, str],
    expected: list[str],
) -> None:
    link = await _link(store)
    csrf = await _open(browser_client, link)

    refused = await browser_client.post(link, data=_form(csrf, **changes))

    assert refused.status_code == 422
    assert _summary(refused.text) == expected
    assert "<b>team</b>" not in refused.text
    assert await _user_count(store) == 0


async def test_setup_form_without_its_csrf_token_is_refused(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    link = await _link(store)
    csrf = await _open(browser_client, link)
    fields = _form(csrf)

    missing = await browser_client.post(
        link, data={k: v for k, v in fields.items() if k != "csrf_token"}
    )
    forged = await browser_client.post(link, data=fields | {"csrf_token": "forged"})

    assert missing.status_code == 403
    assert forged.status_code == 403
    assert "This form has expired" in missing.text
    assert await _user_count(store) == 0
    assert (await browser_client.get(link)).status_code == 200


async def test_setup_wrong_code_at_enrolment_is_refused_and_can_be_tried_again(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    link = await _link(store)
    csrf = await _open(browser_client, link)
    assert (await browser_client.post(link, data=_form(csrf))).status_code == 303
    secret = _secret_on((await browser_client.get("/sign-in/enrol")).text)

    wrong = await browser_client.post(
        "/sign-in/enrol", data={"csrf_token": csrf, "code": _wrong_code(secret)}
    )

    assert wrong.status_code == 401
    assert "The code is not right" in wrong.text
    assert SESSION_COOKIE not in browser_client.cookies
    stored = await users.find_by_username(store, "ada")
    assert stored is not None and stored["totp_secret"] is None
    right = await browser_client.post(
        "/sign-in/enrol", data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()}
    )
    assert right.status_code == 200
    assert SESSION_COOKIE in browser_client.cookies


async def test_setup_two_browsers_sending_the_link_at_once_make_one_admin(
    browser_client: httpx.AsyncClient, store: Store, app: Any
) -> None:
    link = await _link(store)
    browsers = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(f"203.0.113.{n}", 40200)),
            base_url="http://testserver",
        )
        for n in range(1, 4)
    ]
    try:
        tokens = [await _open(b, link) for b in browsers]
        answers = await asyncio.gather(
            *(
                b.post(link, data=_form(t, username=f"admin{n}"))
                for n, (b, t) in enumerate(zip(browsers, tokens, strict=True))
            )
        )
    finally:
        for b in browsers:
            await b.aclose()

    assert sorted(a.status_code for a in answers) == [303, 410, 410]
    assert await _user_count(store) == 1


async def test_setup_link_is_dead_after_ppud_users_create(
    browser_client: httpx.AsyncClient, store: Store, ppud: Ppud
) -> None:
    link = await _link(store)
    csrf = await _open(browser_client, link)

    made = await ppud(
        *("users", "create", "bob", "--level", "admin", "--team", "ppcs", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    opened = await browser_client.get(link)
    sent = await browser_client.post(link, data=_form(csrf))

    assert opened.status_code == 410
    assert "PPUD has an administrator already" in opened.text
    assert sent.status_code == 410
    assert await _user_count(store) == 1


async def test_setup_token_never_reaches_the_log(
    browser_client: httpx.AsyncClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    link = await _link(store)
    token = link.rsplit("/", 1)[1]

    with caplog.at_level(logging.INFO):
        csrf = await _open(browser_client, link)
        await browser_client.post(link, data=_form(csrf))

    # The server's records only: the test's own HTTP client logs the addresses it asks for.
    logged = "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name != "httpx"
    )
    assert "setup.admin_created" in logged
    assert "/setup/[token]" in logged
    assert token not in logged
