"""Signing in and out in a real browser, with every page checked by axe-core."""

from __future__ import annotations

from records.store import Store
from tests.web.conftest import Browsing, new_person, sign_in


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
