"""List pages downloaded as CSV: the same rows as the page, the same access, audited."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from records.store import Store
from tests.conftest import File, MakeUser, User
from tests.web.conftest import pages_signed_in


def rows(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


async def test_offenders_documents_and_users_download_as_their_pages_list_them(
    store: Store,
    browser_client: httpx.AsyncClient,
    make_user: MakeUser,
    offender: dict[str, Any],
    case: dict[str, Any],
    file_document: File,
) -> None:
    filed = await file_document("office/testPDF.pdf", title='=HYPERLINK("x")')
    manager = await make_user("manager")
    await pages_signed_in(browser_client, manager)

    search = await browser_client.get("/offenders", params={"q": "Example"})
    found = rows(await browser_client.get("/offenders.csv", params={"q": "Example"}))
    listed = rows(await browser_client.get(f"/cases/{case['id']}/documents.csv"))
    people = rows(await browser_client.get("/users.csv"))
    unasked = await browser_client.get("/offenders.csv")

    assert 'href="/offenders.csv?q=Example"' in search.text
    assert [(o["id"], o["family_name"]) for o in found] == [(offender["id"], "Example")]
    assert [(d["id"], d["title"]) for d in listed] == [(filed["id"], '\'=HYPERLINK("x")')]
    assert manager.username in {p["username"] for p in people}
    assert unasked.status_code == 400 and "Search for a name" in unasked.text
    exported = await store.db["audit"].distinct("action", {"user": manager.username})
    assert {"offenders.export", "documents.export", "users.export"} <= set(exported)


async def test_exports_keep_to_what_the_user_may_see(
    browser_client: httpx.AsyncClient, make_user: MakeUser, case: dict[str, Any], caseworker: User
) -> None:
    stranger = await make_user("caseworker", team="north")
    await pages_signed_in(browser_client, stranger)

    documents = await browser_client.get(f"/cases/{case['id']}/documents.csv")
    people = await browser_client.get("/users.csv")

    assert documents.status_code == 404
    assert people.status_code == 403
