"""Every route asks the authorisation policy: walked from the app's own route table.

A route added without a decision fails here. The few that need none act only
on the caller themselves (their session, their tokens) or answer before any
sign-in (health, the API's description); they are listed, with the reason.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from records import case_contacts, contacts, credentials, jobs, policy
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import File, MakeUser, User
from tests.retention.conftest import retention_records
from tests.web.conftest import pages_signed_in

# (method, path): why no policy decision is needed.
NO_RECORD = {
    ("GET", "/healthz"): "open: whether the process runs",
    ("GET", "/readyz"): "open: whether the database and extractor answer",
    ("GET", "/openapi.json"): "open: the API's description",
    ("POST", "/session"): "signing in: there is no actor yet",
    ("DELETE", "/session"): "the caller's own session",
    ("DELETE", "/sessions"): "the caller's own sessions",
    ("GET", "/me"): "the caller themselves",
}


def api_routes(app: Starlette) -> list[tuple[str, str]]:
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1")
    return [
        (method, route.path)
        for route in mount.routes
        if isinstance(route, Route)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]


@pytest.fixture
async def world(
    store: Store,
    caseworker: User,
    make_user: MakeUser,
    case: dict[str, Any],
    file_document: File,
) -> dict[str, str]:
    """A real record for every kind of path parameter."""
    document = await file_document("office/testPDF.pdf")
    external = await make_user("viewer", team="board", external=True, organisation="Board")
    job = await jobs.create_job(
        store,
        caseworker.actor,
        "dossier",
        {"_id": case["_id"]} if "_id" in case else await store.db["cases"].find_one({}),
        {},
    )
    # A second token of the caseworker's, so revoking it leaves the one the client sends.
    spare = await credentials.create_token(store, SYSTEM, caseworker.username, label="spare")
    task = await store.db["tasks"].find_one({})
    assert task is not None
    contact = await contacts.create_contact(
        store, caseworker.actor, {"kind": "prison", "name": "HMP Example"}
    )
    stored = await store.db["cases"].find_one({})
    assert stored is not None
    link = await case_contacts.link(
        store,
        caseworker.actor,
        stored,
        {"contact_id": str(contact["_id"]), "role": "establishment"},
    )
    return {
        "case_id": case["id"],
        "offender_id": case["offender_id"],
        "document_id": document["id"],
        "job_id": str(job["_id"]),
        "name": "recall",
        "case_type": "recall",
        "user_id": external.id,
        "team": "north",
        "token_id": spare.id,
        "number": "1",
        "version": "1",
        "year": "2027",
        "task_id": str(task["_id"]),
        "kind": "offenders",
        "report": "open-cases",
        # A set-up link never issued: its page still asks whether set-up is open.
        "token": "0" * 43,
        "list_name": "case_types",
        "code": "recall",
        "key": "home",
        "contact_id": str(contact["_id"]),
        "link_id": str(link["_id"]),
        **await retention_records(store, case["id"], document["id"]),
    }


async def test_policy_is_asked_by_every_api_route(
    app: Starlette, caseworker: User, world: dict[str, str]
) -> None:
    silent = []
    for method, template in api_routes(app):
        if (method, template) in NO_RECORD:
            continue
        path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: world[m.group(1)], template)
        with policy.watching() as decisions:
            response = await caseworker.client.request(method, path, json={})
        if not decisions:
            silent.append(f"{method} {template} -> {response.status_code}")

    assert silent == [], "routes that answered without asking the policy"


def test_policy_exemptions_name_routes_that_exist(app: Starlette) -> None:
    assert set(NO_RECORD) <= set(api_routes(app))


# Pages that show no record, or only the caller's own: signing in and out, and
# health. Every other page is asked for with ?q=toolkit, so search answers too.
PAGES_WITHOUT_RECORD = {
    "/sign-in": "signing in: there is no actor yet",
    "/sign-in/code": "signing in",
    "/sign-in/enrol": "signing in",
    "/sign-out": "the caller's own session",
    "/healthz": "open: whether the process runs",
    "/readyz": "open: whether the database and extractor answer",
}


def page_routes(app: Starlette) -> list[str]:
    return [
        route.path
        for route in app.routes
        if isinstance(route, Route) and "GET" in (route.methods or ()) and route.path != "/api/v1"
    ]


async def test_policy_is_asked_by_every_page(
    app: Starlette, caseworker: User, world: dict[str, str]
) -> None:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40300))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        await pages_signed_in(browser, caseworker)
        silent = []
        for template in page_routes(app):
            if template in PAGES_WITHOUT_RECORD:
                continue
            path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: world[m.group(1)], template)
            with policy.watching() as decisions:
                response = await browser.get(path, params={"q": "toolkit"})
            if not decisions:
                silent.append(f"GET {template} -> {response.status_code}")

    assert silent == [], "pages that answered without asking the policy"
