"""Who may do what to which record, checked against rules written apart from the policy.

Each kind of actor meets a case of the caseworkers' team with two documents,
one shared with external users and one not, through every case and document
route. The expected answer comes from RULES below, a plain statement of the
product's rules, not from records/policy.py; any difference fails the test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from bson import ObjectId

from records import access
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import Clock, File, MakeUser, User

# What each actor is, in the rules' terms.
ACTORS = {
    "viewer": {"level": "viewer", "team": "ppcs"},
    "caseworker": {"level": "caseworker", "team": "ppcs"},
    "manager": {"level": "manager", "team": "ppcs"},
    "admin": {"level": "admin", "team": "hq"},
    "other team": {"level": "manager", "team": "north"},
    "shared team": {"level": "manager", "team": "east"},
    "external": {"level": "viewer", "team": "board", "external": True},
    "external, not associated": {"level": "viewer", "team": "board", "external": True},
    "external, lapsed": {"level": "viewer", "team": "board", "external": True},
}


def sees_case(actor: str) -> bool:
    return actor in ("viewer", "caseworker", "manager", "admin", "shared team", "external")


def sees_document(actor: str, shared: bool) -> bool:
    return sees_case(actor) and (not actor.startswith("external") or shared)


def may_write(actor: str) -> bool:
    return actor in ("caseworker", "manager", "admin")


def expected(actor: str, route: str, shared: bool) -> int:
    """The product's rules: invisible is 404; visible but not allowed is 403."""
    on_document = route not in ("read case", "list documents")
    visible = sees_document(actor, shared) if on_document else sees_case(actor)
    if not visible:
        return 404
    if route in ("read case", "list documents", "read document", "download", "download v1"):
        return 200
    return 200 if may_write(actor) else 403


Call = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[httpx.Response]]


async def _patch(client: httpx.AsyncClient, ids: dict[str, Any]) -> httpx.Response:
    return await client.patch(
        f"/documents/{ids['document']}", json={"title": "Renamed"}, headers={"If-Match": ids["rev"]}
    )


ROUTES: dict[str, Call] = {
    "read case": lambda c, ids: c.get(f"/cases/{ids['case']}"),
    "list documents": lambda c, ids: c.get(f"/cases/{ids['case']}/documents"),
    "read document": lambda c, ids: c.get(f"/documents/{ids['document']}"),
    "download": lambda c, ids: c.get(f"/documents/{ids['document']}/content"),
    "download v1": lambda c, ids: c.get(f"/documents/{ids['document']}/versions/1/content"),
    "edit": _patch,
    "share": lambda c, ids: c.put(
        f"/documents/{ids['document']}/sharing", json={"shared_with_external": ids["shared"]}
    ),
    "check out": lambda c, ids: c.post(f"/documents/{ids['document']}/lock", json={}),
}


@pytest.mark.parametrize("actor", list(ACTORS))
async def test_authorisation_matrix(
    store: Store,
    clock: Clock,
    actor: str,
    caseworker: User,
    make_user: MakeUser,
    case: dict[str, Any],
    file_document: File,
) -> None:
    await make_user("caseworker", team="east")
    who = await make_user(**ACTORS[actor], organisation="Board" if "external" in actor else None)
    stored = await store.db["cases"].find_one({"_id": ObjectId(case["id"])})
    assert stored is not None
    await access.share(store, caseworker.actor, stored, {"team": "east", "purpose": "Joint work"})
    if actor in ("external", "external, lapsed"):
        until = clock.at.date().isoformat() if actor.endswith("lapsed") else None
        await access.associate(store, SYSTEM, stored, {"user_id": who.id, "until": until})
    documents = {}
    for shared in (True, False):
        filed = await file_document("office/testPDF.pdf", title=f"shared={shared}")
        await caseworker.client.put(
            f"/documents/{filed['id']}/sharing", json={"shared_with_external": shared}
        )
        documents[shared] = filed["id"]
    clock.advance(days=2)  # the lapsed association has run out; the others have no end

    wrong = []
    for shared, document_id in documents.items():
        for route, call in ROUTES.items():
            current = (await caseworker.client.get(f"/documents/{document_id}")).json()
            ids = {
                "case": case["id"],
                "document": document_id,
                "rev": f'"{current["revision"]}"',
                "shared": shared,
            }
            answer = await call(who.client, ids)
            want = expected(actor, route, shared)
            if answer.status_code != want:
                wrong.append(f"{route} (shared={shared}): {answer.status_code}, expected {want}")
            if route == "check out" and answer.status_code == 200:
                await who.client.delete(f"/documents/{document_id}/lock")

    assert wrong == []
