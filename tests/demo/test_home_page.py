"""A demo user's first look: signed in through the pages, their home page shows the deadlines."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pyotp
import pytest
from starlette.applications import Starlette

from demo import Loader
from records import users
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import PASSWORD
from web import session


@pytest.fixture
async def pages(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.5", 40100))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_demo_caseworker_home_page_lists_overdue_deadlines(
    pages: httpx.AsyncClient, store: Store, tmp_path: Path
) -> None:
    # Offender 0's recall waits for its dossier, days after its return to custody.
    await Loader(store, seed=2026, scratch=tmp_path).load(1, documents_for=0)
    await users.set_password(store, SYSTEM, "demo-caseworker", PASSWORD)

    home = await _signed_in_first_time(pages, "demo-caseworker")

    deadlines = home.split('data-testid="deadlines"', 1)[1].split("</table>", 1)[0]
    assert "Serve the recall dossier" in deadlines
    assert "Overdue" in deadlines
    assert "Recall 2026" in deadlines


async def _signed_in_first_time(client: httpx.AsyncClient, username: str) -> str:
    """Password, then enrolment of an authenticator, as a demo user's first sign-in goes."""
    await client.get("/sign-in")
    token = client.cookies[session.FORM_COOKIE]
    form = {"csrf_token": token, "username": username, "password": PASSWORD}
    answered = await client.post("/sign-in", data=form)
    assert answered.headers["location"] == "/sign-in/enrol"
    offered = await client.get("/sign-in/enrol")
    shown = re.search(r'data-testid="totp-secret">([^<]*)<', offered.text)
    assert shown, offered.text
    code = pyotp.TOTP("".join(shown.group(1).split())).now()
    enrolled = await client.post("/sign-in/enrol", data={"csrf_token": token, "code": code})
    assert enrolled.status_code == 200
    home = await client.get("/")
    assert home.status_code == 200
    return home.text
