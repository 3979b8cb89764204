"""The tasks page and the administrators' workflows page."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import yaml

from records import users
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import PASSWORD, Clock, MakeUser, User, open_case
from tests.web.conftest import Browsing, Person, pages_signed_in, sign_in


async def test_tasks_page_lists_the_overdue_and_exports_them_as_csv(
    clock: Clock,
    browser_client: httpx.AsyncClient,
    make_user: MakeUser,
    caseworker: User,
    offender: dict[str, Any],
) -> None:
    manager = await make_user("manager")
    late = await open_case(caseworker.client, offender["id"], title="Late <b>recall</b>")
    clock.advance(hours=25)  # the 24-hour assessment has passed
    await open_case(caseworker.client, offender["id"], title="Fresh recall")
    await pages_signed_in(browser_client, manager)

    every = await browser_client.get("/tasks")
    overdue = await browser_client.get("/tasks", params={"due": "overdue"})
    exported = await browser_client.get("/tasks.csv", params={"due": "overdue"})
    bad = await browser_client.get("/tasks", params={"due": "yesterday"})

    assert every.status_code == 200 and every.text.count("Assess the recall request") == 2
    assert 'href="/tasks"' in every.text  # the navigation links here
    assert overdue.text.count("Assess the recall request") == 1
    assert f'href="/cases/{late["id"]}"' in overdue.text and "Overdue" in overdue.text
    assert "Late &lt;b&gt;recall&lt;/b&gt;" in overdue.text  # typed text is never markup
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv")
    assert [(r["case_id"], r["title"]) for r in rows] == [(late["id"], "Assess the recall request")]
    assert bad.status_code == 422 and "Due must be overdue or soon" in bad.text


async def test_tasks_of_another_team_stay_hidden(
    browser_client: httpx.AsyncClient,
    make_user: MakeUser,
    caseworker: User,
    offender: dict[str, Any],
) -> None:
    await open_case(caseworker.client, offender["id"])
    stranger = await make_user("caseworker", team="north")
    await pages_signed_in(browser_client, stranger)

    # Asking for another team's tasks by name changes nothing for a caseworker.
    listed = await browser_client.get("/tasks", params={"team": "ppcs"})
    exported = await browser_client.get("/tasks.csv", params={"team": "ppcs"})

    assert "Assess the recall request" not in listed.text
    assert "no open tasks" in listed.text
    assert exported.text.strip().count("\n") == 0  # the header row alone


async def admin_client(store: Store, browser_client: httpx.AsyncClient, make_user: MakeUser) -> str:
    admin = await make_user("admin")
    return await pages_signed_in(browser_client, admin)


async def test_admin_downloads_edits_imports_and_migrates_a_workflow(
    store: Store,
    browser_client: httpx.AsyncClient,
    make_user: MakeUser,
    caseworker: User,
    offender: dict[str, Any],
) -> None:
    running = await open_case(caseworker.client, offender["id"], case_type="parole_review")
    token = await admin_client(store, browser_client, make_user)

    listed = await browser_client.get("/workflows")
    exported = await browser_client.get("/workflows/parole_review/versions/1.yaml")
    edited = yaml.safe_load(exported.text)
    edited["label"] = "Parole review (2027 rules)"
    imported = await browser_client.post(
        "/workflows", data={"csrf_token": token, "definition": yaml.safe_dump(edited)}
    )
    after_import = await browser_client.get("/workflows")
    migrated = await browser_client.post(
        "/workflows/parole_review/migrations", data={"csrf_token": token, "from_version": "1"}
    )
    case = await store.db["cases"].find_one({"title": running["title"]})

    assert listed.status_code == 200
    assert all(f'data-testid="workflow-{t}"' in listed.text for t in ("recall", "parole_review"))
    assert exported.headers["content-type"].startswith("application/yaml")
    assert imported.status_code == 303
    assert imported.headers["location"] == "/workflows?done=imported"
    assert "Parole review (2027 rules)" in after_import.text
    assert "1 open" in after_import.text  # the running case is still on version 1
    assert migrated.status_code == 303
    assert case is not None and case["workflow"]["version"] == 2


async def test_bad_workflow_and_holiday_forms_are_refused_with_their_reasons(
    store: Store, browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    token = await admin_client(store, browser_client, make_user)

    not_yaml = await browser_client.post(
        "/workflows", data={"csrf_token": token, "definition": "states: [unclosed"}
    )
    empty = await browser_client.post("/workflows", data={"csrf_token": token, "definition": " "})
    bad_year = await browser_client.post(
        "/bank-holidays", data={"csrf_token": token, "year": "27", "days": ""}
    )
    wrong_year = await browser_client.post(
        "/bank-holidays",
        data={"csrf_token": token, "year": "2031", "days": "2030-12-25 Christmas Day"},
    )
    bad_date = await browser_client.post(
        "/bank-holidays", data={"csrf_token": token, "year": "2031", "days": "2031-02-30 Nope"}
    )
    saved = await browser_client.post(
        "/bank-holidays",
        data={"csrf_token": token, "year": "2031", "days": "2031-12-25 Christmas Day\n"},
    )
    no_csrf = await browser_client.post("/workflows", data={"definition": "case_type: recall"})

    assert not_yaml.status_code == 422 and "not valid YAML at line 1" in not_yaml.text
    assert empty.status_code == 422 and "Paste the workflow definition" in empty.text
    assert bad_year.status_code == 422 and "four digits" in bad_year.text
    assert wrong_year.status_code == 422 and "2030-12-25 is not in 2031" in wrong_year.text
    assert bad_date.status_code == 422 and "real date" in bad_date.text
    assert saved.status_code == 303
    assert no_csrf.status_code == 403
    year = await store.db["bank_holidays"].find_one({"_id": 2031})
    assert year is not None and year["days"] == [{"date": "2031-12-25", "name": "Christmas Day"}]
    assert await store.db["workflows"].count_documents({"version": {"$gt": 1}}) == 0


async def test_only_administrators_see_the_workflows_page(
    browser_client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    manager = await make_user("manager")
    token = await pages_signed_in(browser_client, manager)

    page = await browser_client.get("/workflows")
    posted = await browser_client.post(
        "/workflows", data={"csrf_token": token, "definition": "case_type: recall"}
    )
    home = await browser_client.get("/")

    assert page.status_code == 403 and posted.status_code == 403
    assert 'href="/workflows"' not in home.text


async def test_admin_reviews_workflows_and_tasks_in_the_browser(
    store: Store, browsing: Browsing
) -> None:
    made = await users.create_user(
        store, SYSTEM, "web-admin", level="admin", team="hq", password=PASSWORD
    )
    assert made.totp_secret is not None
    page = browsing.page
    await sign_in(browsing, Person("web-admin", made.totp_secret))

    await page.click("a:has-text('Workflows')")
    await page.wait_for_url("**/workflows")
    await browsing.check("workflows")
    await page.fill("#definition", "case_type: recall\nstates: []")
    await page.click("button:has-text('Import')")
    await page.wait_for_selector(".govuk-error-summary")
    await browsing.check("workflow-refused")
    await page.click("a:has-text('Tasks')")
    await page.wait_for_url("**/tasks")
    await browsing.check("tasks")
