"""The home page: the cases the user may see and the documents they have checked out."""

from __future__ import annotations

from typing import Any

from records import locks
from tests.conftest import MakeUser, User, open_case
from tests.web.conftest import Browsing, Person, sign_in


async def test_home_lists_open_cases_and_check_outs(
    browsing: Browsing,
    caseworker: User,
    offender: dict[str, Any],
    case: dict[str, Any],
    document: dict[str, Any],
    store: Any,
) -> None:
    await locks.check_out(store, caseworker.actor, document["id"])

    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))

    cases = browsing.page.locator("[data-testid=open-cases] tbody tr")
    assert await cases.count() == 1
    row = await cases.first.text_content() or ""
    assert case["title"] in row
    assert "EXAMPLE, Alex Sam" in row
    held = browsing.page.locator("[data-testid=checked-out] tbody tr")
    assert document["title"] in (await held.first.text_content() or "")
    recent = await browsing.page.text_content("[data-testid=recent-activity]") or ""
    assert "session create" in recent and "lock acquire" in recent


async def test_home_shows_no_case_of_another_team(
    browsing: Browsing, make_user: MakeUser, offender: dict[str, Any]
) -> None:
    stranger = await make_user("caseworker", team="another-team")
    await open_case(stranger.client, offender["id"], title="Not for ppcs", team="another-team")
    reader = await make_user("caseworker")

    await sign_in(browsing, Person(reader.username, reader.totp_secret))

    assert await browsing.page.is_visible("[data-testid=no-open-cases]")


async def test_home_shows_what_a_case_title_says_escaped(
    browsing: Browsing, caseworker: User, offender: dict[str, Any]
) -> None:
    title = "<script>window.injected = 1</script><img src=x onerror=alert(1)>"
    await open_case(caseworker.client, offender["id"], title=title)

    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))

    page = browsing.page
    assert title in (await page.text_content("[data-testid=open-cases]") or "")
    assert await page.evaluate("() => window.injected") is None
    assert await page.locator("[data-testid=open-cases] img").count() == 0


async def test_home_error_pages_look_like_the_service(browsing: Browsing, caseworker: User) -> None:
    await sign_in(browsing, Person(caseworker.username, caseworker.totp_secret))
    page = browsing.page

    answered = await page.goto("/no/such/page")
    await browsing.check("not-found")

    assert answered is not None and answered.status == 404
    assert await page.text_content("h1") == "Page not found"
    assert await page.is_visible("[data-testid=signed-in-user]")

    answered = await page.goto("/?cursor=not-a-cursor")
    await browsing.check("bad-link")
    assert answered is not None and answered.status == 400
