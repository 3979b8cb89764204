"""Signing in and out in a real browser, with every page checked by axe-core."""

from __future__ import annotations

import pyotp

from records import credentials, users
from records.store import Store
from tests.conftest import PASSWORD
from tests.web.conftest import Browsing, enter_password, new_person, sign_in


async def test_sign_in_with_password_and_totp_reaches_the_home_page(
    browsing: Browsing, store: Store
) -> None:
    person = await new_person(store)

    await sign_in(browsing, person)

    page = browsing.page
    assert await page.text_content("[data-testid=signed-in-user]") == (
        f"Signed in as {person.username}"
    )
    assert await page.is_visible("[data-testid=no-open-cases]")


async def test_sign_in_first_time_enrols_totp_with_a_qr_code_and_recovery_codes(
    browsing: Browsing, store: Store
) -> None:
    person = await new_person(store, with_totp=False)
    page = browsing.page

    await page.goto("/sign-in")
    await browsing.check("sign-in")
    await enter_password(page, person)
    await page.wait_for_url("**/sign-in/enrol")
    await browsing.check("enrol")
    assert await page.locator("[data-testid=qr-code] svg[role=img]").count() == 1
    secret = "".join((await page.text_content("[data-testid=totp-secret]") or "").split())
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("button:has-text('Continue')")
    await browsing.check("recovery-codes")

    codes = await page.locator("[data-testid=recovery-codes] li").all_text_contents()
    assert len(codes) == credentials.RECOVERY_CODE_COUNT
    stored = await users.find_by_username(store, person.username)
    assert stored is not None and stored["totp_secret"] == secret
    await page.click("a:has-text('Continue to PPUD')")
    await page.wait_for_url(f"{browsing.site}/")
    await browsing.check("home")
    assert await page.is_visible("[data-testid=signed-in-user]")


async def test_sign_in_with_a_recovery_code_after_enrolment(
    browsing: Browsing, store: Store
) -> None:
    person = await new_person(store, with_totp=False)
    pending = await credentials.begin_sign_in(store, person.username, PASSWORD, ip=None)
    offered = await credentials.pending_enrolment(store, pending.key)
    _, codes = await credentials.finish_enrolment(
        store, pending.key, pyotp.TOTP(offered.secret).now(), ip=None
    )
    page = browsing.page

    await page.goto("/sign-in")
    await enter_password(page, person)
    await page.wait_for_url("**/sign-in/code")
    await browsing.check("code")
    await page.fill("#code", codes[0])
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(f"{browsing.site}/")
    await browsing.check("home")


async def test_sign_in_wrong_code_shows_the_error_summary_linked_to_the_field(
    browsing: Browsing, store: Store
) -> None:
    person = await new_person(store)
    page = browsing.page
    await page.goto("/sign-in")
    await enter_password(page, person)
    await page.wait_for_url("**/sign-in/code")
    await browsing.check("code")

    await page.fill("#code", "000000" if person.code() != "000000" else "111111")
    await page.click("button:has-text('Sign in')")
    await browsing.check("wrong-code")

    summary = page.locator(".govuk-error-summary")
    assert await page.title() == "Error: Enter your security code \N{EN DASH} PPUD"
    assert await summary.locator("a").get_attribute("href") == "#code"
    assert "not right" in (await summary.text_content() or "")
    assert await page.get_attribute("#code", "aria-describedby") == "code-hint code-error"
    # GOV.UK Frontend moves focus to the summary, and its link to the field.
    await summary.locator("a").click()
    assert await page.evaluate("() => document.activeElement.id") == "code"


async def test_sign_in_empty_fields_are_each_named_in_the_error_summary(
    browsing: Browsing,
) -> None:
    page = browsing.page
    await page.goto("/sign-in")
    await browsing.check("sign-in")

    await page.click("button:has-text('Continue')")
    await browsing.check("empty")

    links = page.locator(".govuk-error-summary a")
    assert await links.all_text_contents() == ["Enter your username", "Enter your password"]
    assert [await a.get_attribute("href") for a in await links.all()] == ["#username", "#password"]


async def test_sign_in_shows_what_was_typed_escaped(browsing: Browsing) -> None:
    page = browsing.page
    typed = '<script>window.injected = true</script>"><b>bold</b>'
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto("/sign-in")
    await browsing.check("sign-in")

    await page.fill("#username", typed)
    await page.fill("#password", "whatever it is")
    async with page.expect_response(lambda r: r.request.method == "POST") as answered:
        await page.click("button:has-text('Continue')")
    body = await (await answered.value).text()
    await browsing.check("escaped")

    assert await page.input_value("#username") == typed
    assert typed not in body
    assert "&lt;script&gt;window.injected" in body
    assert await page.evaluate("() => window.injected") is None
    assert await page.locator("b:has-text('bold')").count() == 0
    assert dialogs == []


async def test_sign_in_refuses_a_form_with_a_forged_csrf_token(
    browsing: Browsing, store: Store
) -> None:
    person = await new_person(store)
    page = browsing.page
    await page.goto("/sign-in")
    await browsing.check("sign-in")

    await page.fill("#username", person.username)
    await page.fill("#password", PASSWORD)
    await page.evaluate("() => { document.querySelector('[name=csrf_token]').value = 'forged' }")
    async with page.expect_response(lambda r: r.request.method == "POST") as answered:
        await page.click("button:has-text('Continue')")
    await browsing.check("csrf-refused")

    assert (await answered.value).status == 403
    assert await page.text_content("h1") == "This form has expired"
    assert await store.db[credentials.PENDING].count_documents({}) == 0


async def test_sign_out_ends_the_session_and_says_so(browsing: Browsing, store: Store) -> None:
    person = await new_person(store)
    await sign_in(browsing, person)
    page = browsing.page

    await page.click("button:has-text('Sign out')")
    await page.wait_for_url("**/sign-in")
    await browsing.check("signed-out")
    assert "You have signed out." in (await page.text_content(".govuk-notification-banner") or "")

    await page.goto("/")
    await page.wait_for_url("**/sign-in")
    await browsing.check("sign-in-again")
    assert await page.locator(".govuk-notification-banner").count() == 0
    assert await store.db[credentials.SESSIONS].count_documents({}) == 0


async def test_sign_in_returns_to_the_page_first_asked_for(
    browsing: Browsing, store: Store
) -> None:
    person = await new_person(store)
    page = browsing.page

    await page.goto("/?cursor=")
    await page.wait_for_url("**/sign-in?next=/%3Fcursor%3D")
    await browsing.check("sign-in")
    await enter_password(page, person)
    await page.wait_for_url("**/sign-in/code?next=**")
    await browsing.check("code")
    await page.fill("#code", person.code())
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(f"{browsing.site}/?cursor=")
    await browsing.check("home")


async def test_sign_in_works_without_javascript(
    browsing_without_javascript: Browsing, store: Store
) -> None:
    person = await new_person(store)

    await sign_in(browsing_without_javascript, person)

    page = browsing_without_javascript.page
    assert await page.get_attribute("body", "class") == "govuk-template__body"
    assert await page.is_visible("[data-testid=signed-in-user]")
