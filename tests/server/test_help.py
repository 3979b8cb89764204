"""Online help over the API: every signed-in user reads it; administrators rewrite it."""

from __future__ import annotations

from records.store import Store
from tests.conftest import MakeUser, User

HOSTILE = """\
# Checking out

<script>alert("help")</script>

Select [Check out](javascript:alert(document.cookie)) or
[this](JavaScript&#58;alert(1)) or <javascript:alert(2)> or
[that](data:text/html,<script>alert(3)</script>).

<img src=x onerror="alert(4)">

See [the search page](/search) and [GOV.UK](https://www.gov.uk).
"""


async def test_help_is_read_by_internal_and_external_users(
    caseworker: User, make_user: MakeUser
) -> None:
    external = await make_user("viewer", team="board", external=True, organisation="Board")

    mine = await caseworker.client.get("/help/case")
    theirs = await external.client.get("/help/document")
    missing = await caseworker.client.get("/help/no_such_screen")

    assert mine.status_code == 200
    assert mine.json()["key"] == "case" and mine.json()["title"] == "The case page"
    assert '<p class="govuk-body">' in mine.json()["html"]
    assert mine.headers["etag"] == f'"{mine.json()["revision"]}"'
    assert theirs.status_code == 200
    assert missing.status_code == 404 and "home" in missing.json()["detail"]


async def test_hostile_markdown_is_stored_as_typed_and_rendered_inert(
    store: Store, make_user: MakeUser, caseworker: User
) -> None:
    admin = await make_user("admin", team="hq")

    saved = await admin.client.put("/help/document", json={"markdown": HOSTILE})
    shown = await caseworker.client.get("/help/document")

    assert saved.status_code == 200, saved.text
    page = shown.json()
    assert page["markdown"] == HOSTILE and page["updated_by"] == admin.username
    html = page["html"].lower()
    assert "<script" not in html and "<img" not in html
    # The links refused stay as the text typed; only the two safe ones are links.
    assert html.count("<a ") == 2
    assert 'href="javascript' not in html and 'href="data' not in html
    assert "&lt;script&gt;" in html
    assert '<a href="/search" class="govuk-link">the search page</a>' in page["html"]
    assert '<a href="https://www.gov.uk" class="govuk-link">GOV.UK</a>' in page["html"]
    assert "<h2" in html and "<h1" not in html  # the page's own title is its only h1
    event = await store.db["audit"].find_one({"action": "help.update"})
    assert event is not None and event["target"] == "help:document"


async def test_only_administrators_rewrite_help(caseworker: User, make_user: MakeUser) -> None:
    manager = await make_user("manager")
    external = await make_user("viewer", team="board", external=True, organisation="Board")
    before = (await caseworker.client.get("/help/home")).json()

    refused = [
        await user.client.put("/help/home", json={"markdown": "Rewritten"})
        for user in (caseworker, manager, external)
    ]

    assert [r.status_code for r in refused] == [403, 403, 403]
    assert "change the online help" in refused[0].json()["detail"]
    assert (await caseworker.client.get("/help/home")).json() == before


async def test_a_stale_revision_or_a_bad_body_is_refused(make_user: MakeUser) -> None:
    admin = await make_user("admin", team="hq")
    first = await admin.client.get("/help/search")
    revision = first.json()["revision"]

    saved = await admin.client.put(
        "/help/search", json={"markdown": "First edit"}, headers={"If-Match": f'"{revision}"'}
    )
    stale = await admin.client.put(
        "/help/search", json={"markdown": "Second edit"}, headers={"If-Match": f'"{revision}"'}
    )
    empty = await admin.client.put("/help/search", json={"markdown": "  "})
    unknown = await admin.client.put("/help/search", json={"markdown": "x", "html": "<b>"})
    too_long = await admin.client.put("/help/search", json={"markdown": "x" * 20_001})

    assert saved.status_code == 200 and saved.json()["revision"] == revision + 1
    assert stale.status_code == 412 and "fetch it again" in stale.json()["detail"]
    assert empty.status_code == 422 and unknown.status_code == 422
    assert too_long.status_code == 422 and "20000" in too_long.json()["detail"]
    assert (await admin.client.get("/help/search")).json()["markdown"] == "First edit"
