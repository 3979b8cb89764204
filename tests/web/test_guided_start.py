"""The guided start on the home page: for administrators, while the install has no case."""

from __future__ import annotations

import re

import httpx

from records import policy, vocabulary
from records.store import Store
from tests.conftest import MakeUser, open_case
from tests.web.conftest import pages_signed_in

STEPS = ["step-users", "step-lists", "step-workflows", "step-demo", "step-casework"]
# The pages the steps link to, in the order shown.
STEP_PAGES = ["/users/new", "/users", "/lists", "/workflows", "/offenders", "/search"]
# Pages still being built (the lists of values'): linked already.
COMING_PAGES = {"/lists"}


def _guide(html: str) -> str | None:
    found = re.search(r'<section [^>]*data-testid="guided-start">(.*?)</section>', html, re.S)
    return found.group(1) if found else None


async def test_guided_start_shows_an_admin_each_step_of_a_fresh_install(
    browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    await pages_signed_in(browser_client, admin)

    with policy.watching() as decisions:
        home = await browser_client.get("/")

    guide = _guide(home.text)
    assert guide is not None
    assert re.findall(r'<li data-testid="(step-[a-z]+)">', guide) == STEPS
    assert "service.setup" in decisions
    # What has no page is a command to run on the server.
    assert "ppud users create USERNAME --level manager --team TEAM" in guide
    assert f"ppud tokens create {admin.username}" in guide
    assert "http://testserver/api/v1/dossier-templates" in guide
    assert ".venv/bin/ppud demo load" in guide and "make run DEMO=1" in guide
    assert "Part A recall report" in guide and "Parole review" in guide


async def test_guided_start_links_each_step_to_its_page(
    browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    await pages_signed_in(browser_client, admin)
    guide = _guide((await browser_client.get("/")).text)
    assert guide is not None

    links = re.findall(r'href="([^"]+)"', guide)

    assert links == STEP_PAGES
    for link in set(STEP_PAGES) - COMING_PAGES:
        assert (await browser_client.get(link)).status_code == 200, link


async def test_guided_start_is_not_shown_below_administrator(
    browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    manager = await make_user("manager")
    await pages_signed_in(browser_client, manager)

    home = await browser_client.get("/")

    assert home.status_code == 200
    assert _guide(home.text) is None
    assert "ppud users create" not in home.text


async def test_guided_start_ends_with_the_first_case(
    browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    await make_user("caseworker", team="north")
    admin = await make_user("admin")
    await pages_signed_in(browser_client, admin)
    offender = await admin.client.post(
        "/offenders",
        json={"family_name": "Example", "given_names": "Alex", "date_of_birth": "1985-04-12"},
    )
    # Another team's case: the administrator sees every team's, so the install is in use.
    await open_case(admin.client, offender.json()["id"], team="north")

    home = await browser_client.get("/")

    assert _guide(home.text) is None
    assert 'data-testid="open-cases"' in home.text


async def test_guided_start_shows_lists_and_addresses_escaped(
    browser_client: httpx.AsyncClient, make_user: MakeUser, store: Store
) -> None:
    label = "<script>window.injected = 1</script>Secret type"
    await store.db[vocabulary.LISTS].update_one(
        {"_id": "case_types"}, {"$push": {"values": {"code": "secret", "label": label}}}
    )
    admin = await make_user("admin")
    await pages_signed_in(browser_client, admin)

    home = await browser_client.get("/", headers={"Host": 'x"><img src=x onerror=alert(1)>'})

    guide = _guide(home.text)
    assert guide is not None
    assert "&lt;script&gt;window.injected = 1&lt;/script&gt;Secret type" in guide
    assert "<script>" not in guide and "<img" not in guide
