"""The contacts directory: who may read and keep it, searching it, and what it refuses."""

from __future__ import annotations

from typing import Any

from records.store import Store
from tests.conftest import MakeUser, User

SOLICITOR = {
    "kind": "solicitor",
    "name": "Priya Shah",
    "organisation": "Shah & Co Solicitors",
    "email": "priya.shah@shahco.example",
    "phone": "+44 20 7946 0000 ext 12",
    "address": "1 High Street\r\nLeeds\r\nLS1 1AA",
}


async def add(user: User, **fields: Any) -> dict[str, Any]:
    made = await user.client.post("/contacts", json={**SOLICITOR, **fields})
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_contacts_created_read_changed_and_audited(caseworker: User, store: Store) -> None:
    made = await add(caseworker)
    assert made["address"] == "1 High Street\nLeeds\nLS1 1AA"
    assert made["revision"] == 1 and made["created_by"] == caseworker.username

    read = await caseworker.client.get(f"/contacts/{made['id']}")
    assert read.json() == made
    changed = await caseworker.client.patch(
        f"/contacts/{made['id']}", json={"phone": None, "organisation": "Shah Legal"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] is None
    assert changed.json()["organisation"] == "Shah Legal"
    assert changed.json()["revision"] == 2

    events = [e async for e in store.db["audit"].find({"target": f"contact:{made['id']}"})]
    assert [e["action"] for e in events] == ["contact.create", "contact.update"]
    assert events[1]["detail"] == {"fields": ["organisation", "phone"]}


async def test_contacts_searched_by_name_or_organisation_and_kind(caseworker: User) -> None:
    await add(caseworker)
    await add(caseworker, kind="prison", name="HMP Leeds", organisation=None)
    await add(caseworker, kind="Offender manager", name="Sam O'Neill", organisation="Probation")

    async def names(**params: str) -> list[str]:
        found = await caseworker.client.get("/contacts", params=params)
        assert found.status_code == 200, found.text
        return sorted(c["name"] for c in found.json()["items"])

    assert await names(q="leeds") == ["HMP Leeds"]
    assert await names(q="sha") == ["Priya Shah"]
    assert await names(q="probation") == ["Sam O'Neill"]
    assert await names(kind="offender_manager") == ["Sam O'Neill"]
    assert await names(q="ah") == []  # words are matched from their start
    assert await names(q=".*") == []  # a pattern is text, not a regular expression
    refused = await caseworker.client.get("/contacts", params={"kind": "judge"})
    assert refused.status_code == 422


async def test_contacts_bad_input_names_each_field(caseworker: User) -> None:
    sent = {
        "kind": "judge",
        "name": "",
        "email": "not an address",
        "phone": "call me",
        "address": "x" * 501,
        "colour": "blue",
    }
    answer = await caseworker.client.post("/contacts", json=sent)

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problems = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert set(problems) == {"kind", "name", "email", "phone", "address", "colour"}
    assert problems["name"] == "is required"
    assert "e-mail address" in problems["email"]
    assert "email: must be an e-mail address" in answer.json()["detail"]
    control = await caseworker.client.post("/contacts", json={**SOLICITOR, "name": "A\x07B"})
    assert control.json()["errors"] == [
        {"field": "name", "message": "must not contain control characters"}
    ]
    made = await add(caseworker)
    emptied = await caseworker.client.patch(f"/contacts/{made['id']}", json={"name": None})
    assert emptied.status_code == 422


async def test_contacts_internal_users_read_caseworkers_keep_external_users_have_none(
    make_user: MakeUser, caseworker: User
) -> None:
    made = await add(caseworker)
    viewer = await make_user("viewer")
    other_team = await make_user("caseworker", team="north")
    external = await make_user("viewer", team="board", external=True, organisation="Board")

    assert (await viewer.client.get(f"/contacts/{made['id']}")).status_code == 200
    assert (await viewer.client.post("/contacts", json=SOLICITOR)).status_code == 403
    patched = await viewer.client.patch(f"/contacts/{made['id']}", json={"name": "X"})
    assert patched.status_code == 403
    # One directory for every team.
    assert (await other_team.client.get("/contacts")).json()["items"][0]["id"] == made["id"]
    for path in ("/contacts", f"/contacts/{made['id']}"):
        assert (await external.client.get(path)).status_code == 403
    assert (await caseworker.client.get("/contacts/0123456789abcdef01234567")).status_code == 404
