"""The user management pages: adding, changing and unlocking users within the rules."""

from __future__ import annotations

import httpx
import pyotp
from bson import ObjectId

from records import users
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import PASSWORD, File, MakeUser, User
from tests.web.conftest import Browsing, Person, pages_signed_in, sign_in


async def fresh_code(store: Store, username: str, secret: str) -> str:
    """A code the user may use again: as if the next 30 seconds had passed."""
    await store.db["users"].update_one({"username": username}, {"$set": {"totp_last_step": 0}})
    return str(pyotp.TOTP(secret).now())


async def test_manager_adds_a_user_of_their_team_from_the_form(
    store: Store, browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    manager = await make_user("manager")
    token = await pages_signed_in(browser_client, manager)

    listed = await browser_client.get("/users")
    form = await browser_client.get("/users/new")
    code = await fresh_code(store, manager.username, manager.totp_secret)
    added = await browser_client.post(
        "/users/new",
        data={"csrf_token": token, "username": "sam.new", "level": "viewer", "code": code},
    )

    assert listed.status_code == 200 and manager.username in listed.text
    assert form.status_code == 200
    assert 'value="admin"' not in form.text  # only levels the manager may give
    assert added.status_code == 303, added.text
    shown = await browser_client.get(added.headers["location"])
    assert "User added" in shown.text and "sam.new" in shown.text
    made = await users.find_by_username(store, "sam.new")
    assert made is not None and made["team"] == manager.team and made["level"] == "viewer"


async def test_user_form_refusals_are_shown_beside_their_fields(
    store: Store, browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    manager = await make_user("manager")
    token = await pages_signed_in(browser_client, manager)

    forged = await browser_client.post(
        "/users/new",
        data={
            "csrf_token": token,
            "username": "too.high",
            "level": "admin",
            "code": await fresh_code(store, manager.username, manager.totp_secret),
        },
    )
    wrong_code = await browser_client.post(
        "/users/new",
        data={"csrf_token": token, "username": "ok.name", "level": "viewer", "code": "000000"},
    )
    no_csrf = await browser_client.post(
        "/users/new", data={"username": "ok.name", "level": "viewer", "code": "1"}
    )

    assert forged.status_code == 422
    assert "above your own" in forged.text and 'href="#level"' in forged.text
    assert wrong_code.status_code == 422 and 'href="#code"' in wrong_code.text
    assert no_csrf.status_code == 403
    assert (
        await store.db["users"].count_documents({"username": {"$in": ["too.high", "ok.name"]}}) == 0
    )


async def test_caseworkers_are_refused_the_user_pages(
    browser_client: httpx.AsyncClient, caseworker: User, make_user: MakeUser
) -> None:
    await pages_signed_in(browser_client, caseworker)
    other = await make_user("viewer")

    for path in ("/users", "/users/new", f"/users/{other.id}"):
        answer = await browser_client.get(path)
        assert answer.status_code == 403, path
        assert answer.headers["content-type"].startswith("text/html")
    home = await browser_client.get("/")
    assert 'href="/users"' not in home.text


async def test_manager_disables_a_team_mate_and_cannot_change_themselves(
    store: Store, browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    manager = await make_user("manager")
    worker = await make_user("caseworker")
    token = await pages_signed_in(browser_client, manager)

    own = await browser_client.get(f"/users/{manager.id}")
    disabled = await browser_client.post(
        f"/users/{worker.id}",
        data={
            "csrf_token": token,
            "level": "caseworker",
            "disabled": "yes",
            "code": await fresh_code(store, manager.username, manager.totp_secret),
        },
    )
    nothing = await browser_client.post(
        f"/users/{worker.id}", data={"csrf_token": token, "level": "caseworker", "disabled": "yes"}
    )

    assert "your own account" in own.text and "Save changes" not in own.text
    assert disabled.status_code == 303, disabled.text
    stored = await store.db["users"].find_one({"_id": ObjectId(worker.id)})
    assert stored is not None and stored["disabled"] is True
    assert (await worker.client.get("/cases")).status_code == 401
    assert nothing.status_code == 422 and "Change the level" in nothing.text


async def test_admin_adds_and_promotes_a_user_in_the_browser(
    store: Store, browsing: Browsing
) -> None:
    made = await users.create_user(
        store, SYSTEM, "web-admin", level="admin", team="hq", password=PASSWORD
    )
    assert made.totp_secret is not None
    admin = Person("web-admin", made.totp_secret)
    await users.ensure_team(store, "ppcs")
    page = browsing.page
    await sign_in(browsing, admin)

    await page.click("a:has-text('Users')")
    await page.wait_for_url("**/users")
    await browsing.check("users")
    await page.click("a:has-text('Add a user')")
    await browsing.check("user-new")
    await page.fill("#username", "pat.caseworker")
    await page.select_option("#level", "caseworker")
    await page.select_option("#team", "ppcs")
    await page.fill("#password", "violet kettle harbour lantern")
    await page.fill("#code", await fresh_code(store, admin.username, made.totp_secret))
    await page.click("button:has-text('Add user')")
    await page.wait_for_selector("text=User added")
    await browsing.check("user-added")

    await page.select_option("#level", "manager")
    await page.fill("#code", "000000")
    await page.click("button:has-text('Save changes')")
    await page.wait_for_selector(".govuk-error-summary")
    await browsing.check("user-wrong-code")
    await page.fill("#code", await fresh_code(store, admin.username, made.totp_secret))
    await page.click("button:has-text('Save changes')")
    await page.wait_for_selector("text=Changes saved")
    await browsing.check("user-promoted")

    promoted = await users.find_by_username(store, "pat.caseworker")
    assert promoted is not None and promoted["level"] == "manager"


async def test_document_page_limits_a_sensitive_document_to_named_people(
    browser_client: httpx.AsyncClient,
    caseworker: User,
    make_user: MakeUser,
    file_document: File,
) -> None:
    colleague = await make_user("caseworker")
    document = await file_document("office/testPDF.pdf", protective_marking="OFFICIAL-SENSITIVE")
    token = await pages_signed_in(browser_client, caseworker)
    path = f"/documents/{document['id']}"

    unknown = await browser_client.post(
        f"{path}/limit", data={"csrf_token": token, "limit-users": "nobody-at-all"}
    )
    limited = await browser_client.post(
        f"{path}/limit", data={"csrf_token": token, "limit-users": caseworker.username}
    )
    shown = await browser_client.get(path)

    assert unknown.status_code == 422
    assert "no active user named" in unknown.text and 'href="#limit-users"' in unknown.text
    assert limited.status_code == 303
    assert f"Only {caseworker.username}" in shown.text
    assert (await colleague.client.get(f"/documents/{document['id']}")).status_code == 404
