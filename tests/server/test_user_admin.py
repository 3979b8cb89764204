"""Managing users and teams: who may create, promote, move, disable and unlock whom."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bson import ObjectId

from records.store import Store
from tests.conftest import PASSWORD, MakeUser, User

STRONG = "violet kettle harbour lantern"


async def code_of(store: Store, user: User) -> str:
    """The user's current code, usable again: as if the next 30 seconds had passed."""
    await store.db["users"].update_one({"_id": ObjectId(user.id)}, {"$set": {"totp_last_step": 0}})
    return user.totp()


async def create(store: Store, by: User, **body: Any) -> httpx.Response:
    return await by.client.post("/users", json={"code": await code_of(store, by), **body})


async def change(store: Store, by: User, user_id: str, **body: Any) -> httpx.Response:
    return await by.client.patch(
        f"/users/{user_id}", json={"code": await code_of(store, by), **body}
    )


@pytest.fixture
async def admin(make_user: MakeUser) -> User:
    return await make_user("admin", team="hq")


@pytest.fixture
async def manager(make_user: MakeUser) -> User:
    return await make_user("manager")


async def test_admin_creates_a_user_in_any_team_who_enrols_at_first_sign_in(
    store: Store, admin: User
) -> None:
    made = await create(
        store, admin, username="Jo.Bloggs", level="caseworker", team="ppcs", password=STRONG
    )

    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["username"], body["level"], body["team"]) == ("jo.bloggs", "caseworker", "ppcs")
    assert body["enrolled"] is False and body["has_password"] is True
    assert "totp_secret" not in body and "password_hash" not in body
    event = await store.db["audit"].find_one({"action": "user.create"}, sort=[("seq", -1)])
    assert event is not None and event["user"] == admin.username


async def test_manager_creates_users_of_their_own_team_at_or_below_their_level(
    store: Store, manager: User
) -> None:
    own = await create(store, manager, username="new.viewer", level="viewer")
    peer = await create(store, manager, username="new.manager", level="manager", team="ppcs")
    above = await create(store, manager, username="new.admin", level="admin")
    elsewhere = await create(store, manager, username="north.one", level="viewer", team="north")
    external = await create(
        store, manager, username="panel.one", level="viewer", external=True, organisation="Board"
    )

    assert own.status_code == 201, own.text
    assert own.json()["team"] == "ppcs"
    assert peer.status_code == 201
    assert above.status_code == 403
    assert "above your own" in above.json()["detail"]
    assert elsewhere.status_code == 403
    assert "own team" in elsewhere.json()["detail"]
    assert external.status_code == 403
    assert "only administrators" in external.json()["detail"]
    assert await store.db["users"].count_documents({"username": {"$in": ["new.admin"]}}) == 0


async def test_caseworkers_and_external_users_manage_nobody(
    store: Store, caseworker: User, make_user: MakeUser
) -> None:
    external = await make_user("viewer", team="board", external=True, organisation="Board")
    for user in (caseworker, external):
        assert (await user.client.get("/users")).status_code == 403
        assert (await user.client.get("/teams")).status_code == 403
        refused = await create(store, user, username="someone", level="viewer")
        assert refused.status_code == 403
        assert (await user.client.get(f"/users/{user.id}")).status_code == 403


async def test_user_changes_ask_the_second_factor_again(store: Store, manager: User) -> None:
    without = await manager.client.post("/users", json={"username": "x.y", "level": "viewer"})
    wrong = await manager.client.post(
        "/users", json={"username": "x.y", "level": "viewer", "code": "000000"}
    )
    code = await code_of(store, manager)
    first = await manager.client.post(
        "/users", json={"username": "x.y", "level": "viewer", "code": code}
    )
    replayed = await manager.client.post(
        "/users", json={"username": "x.z", "level": "viewer", "code": code}
    )

    assert without.status_code == 422
    assert "code" in [e["field"] for e in without.json()["errors"]]
    assert wrong.status_code == 403
    assert first.status_code == 201, first.text
    assert replayed.status_code == 403
    assert await store.db["users"].count_documents({"username": "x.z"}) == 0


async def test_manager_sees_only_the_users_they_manage(
    store: Store, manager: User, make_user: MakeUser, admin: User
) -> None:
    team_mate = await make_user("caseworker")
    team_admin = await make_user("admin")
    other = await make_user("caseworker", team="north")

    listed = (await manager.client.get("/users")).json()["items"]
    everyone = (await admin.client.get("/users", params={"limit": 500})).json()["items"]

    names = {u["username"] for u in listed}
    assert {team_mate.username, manager.username} <= names
    assert team_admin.username not in names and other.username not in names
    assert (await manager.client.get(f"/users/{other.id}")).status_code == 404
    assert (await manager.client.get(f"/users/{team_admin.id}")).status_code == 404
    assert {team_admin.username, other.username} <= {u["username"] for u in everyone}


async def test_promotion_never_above_the_promoters_level_nor_of_oneself(
    store: Store, manager: User, make_user: MakeUser, admin: User
) -> None:
    worker = await make_user("caseworker")

    promoted = await change(store, manager, worker.id, level="manager")
    to_admin = await change(store, manager, worker.id, level="admin")
    moved = await change(store, manager, worker.id, team="north")
    own = await change(store, manager, manager.id, level="viewer")
    by_admin = await change(store, admin, worker.id, level="admin")

    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["level"] == "manager"
    assert to_admin.status_code == 403
    assert moved.status_code == 403
    assert own.status_code == 403
    assert "your own account" in own.json()["detail"]
    assert by_admin.status_code == 200
    # Now above the manager: out of their reach entirely.
    assert (await manager.client.get(f"/users/{worker.id}")).status_code == 404


async def test_admin_moves_a_user_to_an_existing_team_only(
    store: Store, admin: User, caseworker: User
) -> None:
    unknown = await change(store, admin, caseworker.id, team="nowhere")
    made = await admin.client.post(
        "/teams", json={"name": "North East", "code": await code_of(store, admin)}
    )
    moved = await change(store, admin, caseworker.id, team="North East")

    assert unknown.status_code == 422
    assert "no team named 'nowhere'" in unknown.json()["detail"]
    assert made.status_code == 201, made.text
    assert moved.status_code == 200
    assert moved.json()["team"] == "North East"
    me = (await caseworker.client.get("/me")).json()
    assert me["team"] == "North East"


async def test_disabling_a_user_ends_their_access_at_once(
    store: Store, manager: User, caseworker: User
) -> None:
    assert (await caseworker.client.get("/cases")).status_code == 200

    disabled = await change(store, manager, caseworker.id, disabled=True)

    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled"] is True
    assert (await caseworker.client.get("/cases")).status_code == 401
    enabled = await change(store, manager, caseworker.id, disabled=False)
    assert enabled.status_code == 200
    assert (await caseworker.client.get("/cases")).status_code == 200


async def test_manager_lifts_a_lock_out(
    store: Store, app: Any, manager: User, caseworker: User
) -> None:
    transport = httpx.ASGITransport(app=app, client=("192.0.2.50", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t/api/v1") as browser:
        for _ in range(5):
            await browser.post(
                "/session",
                json={"username": caseworker.username, "password": "wrong" * 3, "totp": "1"},
            )
        locked = await browser.post(
            "/session",
            json={"username": caseworker.username, "password": PASSWORD, "totp": caseworker.totp()},
        )
        assert locked.status_code == 429

        unlocked = await manager.client.post(
            f"/users/{caseworker.id}/unlock", json={"code": await code_of(store, manager)}
        )
        await code_of(store, caseworker)
        signed_in = await browser.post(
            "/session",
            json={"username": caseworker.username, "password": PASSWORD, "totp": caseworker.totp()},
        )

    assert unlocked.status_code == 204, unlocked.text
    assert signed_in.status_code == 200, signed_in.text


async def test_teams_are_created_by_administrators_once(
    store: Store, admin: User, manager: User
) -> None:
    made = await admin.client.post(
        "/teams", json={"name": "Wales", "code": await code_of(store, admin)}
    )
    again = await admin.client.post(
        "/teams", json={"name": "Wales", "code": await code_of(store, admin)}
    )
    by_manager = await manager.client.post(
        "/teams", json={"name": "Mine", "code": await code_of(store, manager)}
    )

    assert made.status_code == 201, made.text
    assert again.status_code == 422
    assert by_manager.status_code == 403
    assert [t["name"] for t in (await manager.client.get("/teams")).json()["items"]] == ["ppcs"]
    assert "Wales" in [t["name"] for t in (await admin.client.get("/teams")).json()["items"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ok.name", "level": "chief"}, "level"),
        ({"username": "Bad Name!", "level": "viewer"}, "username"),
        ({"username": "ok.name", "level": "viewer", "password": "password1234"}, "password"),
        ({"username": "ok.name", "level": "viewer", "password": 12}, "password"),
        ({"username": "ok.name", "level": "viewer", "external": "yes"}, "external"),
        ({"username": "ok.name", "level": "viewer", "rights": ["all"]}, "rights"),
        ({"level": "viewer"}, "username"),
    ],
)
async def test_user_creation_bad_input_is_named(
    store: Store, admin: User, body: dict[str, Any], field: str
) -> None:
    refused = await create(store, admin, **body)

    assert refused.status_code == 422, refused.text
    assert field in [e["field"] for e in refused.json()["errors"]]
    assert await store.db["users"].count_documents({"username": "ok.name"}) == 0


async def test_user_change_bad_input_is_named(store: Store, admin: User, caseworker: User) -> None:
    not_object = await admin.client.patch(f"/users/{caseworker.id}", json=["level"])
    not_bool = await change(store, admin, caseworker.id, disabled="no")
    nothing = await change(store, admin, caseworker.id, level="caseworker")
    stray = await change(store, admin, caseworker.id, password="x")
    unknown = await change(store, admin, "not-an-id", level="viewer")

    assert not_object.status_code == 422
    assert not_bool.status_code == 422
    assert nothing.status_code == 422
    assert "nothing to change" in nothing.json()["detail"]
    assert stray.status_code == 422
    assert unknown.status_code == 404
