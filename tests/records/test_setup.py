"""The set-up link's records: issued while there are no users, claimed once, then dead."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from records import audit, credentials, setup, users
from records.actors import SYSTEM
from records.errors import Conflict, Gone, InvalidInput, NotFound
from records.store import Store
from tests.conftest import PASSWORD, Clock


async def _admin(store: Store, token: str, username: str = "ada") -> users.NewUser:
    return await setup.create_first_admin(
        store, token, username=username, team="ppcs", password=PASSWORD, ip="198.51.100.1"
    )


async def test_setup_link_stores_only_the_hash_of_its_token(store: Store) -> None:
    link = await setup.issue_link(store)

    assert link is not None
    stored = await store.db[setup.SETUP_TOKENS].find_one({})
    assert stored is not None
    assert stored["digest"] == hashlib.sha256(link.token.encode()).hexdigest()
    assert link.token not in str(stored)
    assert stored["expires_at"] - stored["created_at"] == setup.LINK_LIFETIME


async def test_setup_link_is_not_issued_once_an_administrator_can_sign_in(store: Store) -> None:
    await users.create_user(store, SYSTEM, "bob", level="admin", team="ppcs", password=PASSWORD)

    assert await setup.issue_link(store) is None
    assert await store.db[setup.SETUP_TOKENS].count_documents({}) == 0


async def test_setup_link_is_issued_while_no_administrator_can_sign_in(store: Store) -> None:
    # The demo casework's users: an administrator among them, but none with a password.
    await users.create_user(store, SYSTEM, "demo-admin", level="admin", team="ppcs")
    await users.create_user(
        store, SYSTEM, "demo-caseworker", level="caseworker", team="ppcs", password=PASSWORD
    )
    await users.create_user(
        store, SYSTEM, "old-admin", level="admin", team="ppcs", password=PASSWORD
    )
    await store.db["users"].update_one({"username": "old-admin"}, {"$set": {"disabled": True}})

    link = await setup.issue_link(store)
    assert link is not None
    made = await _admin(store, link.token, username="first.admin")
    assert made.username == "first.admin"


async def test_setup_link_replaces_the_earlier_one(store: Store) -> None:
    first = await setup.issue_link(store)
    second = await setup.issue_link(store)
    assert first is not None and second is not None

    with pytest.raises(Gone, match="newer set-up link"):
        await setup.check_link(store, first.token)
    assert await setup.check_link(store, second.token) == second.expires_at


async def test_setup_link_expires_after_thirty_minutes(store: Store, clock: Clock) -> None:
    link = await setup.issue_link(store)
    assert link is not None

    clock.advance(minutes=29, seconds=59)
    await setup.check_link(store, link.token)
    clock.advance(seconds=1)
    with pytest.raises(Gone, match="expired"):
        await setup.check_link(store, link.token)
    with pytest.raises(Gone, match="expired"):
        await _admin(store, link.token)
    assert await store.db[users.USERS].count_documents({}) == 0


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "a/b" + "c" * 40, "é" * 43])
async def test_setup_link_unknown_or_malformed_is_not_found(store: Store, token: str) -> None:
    await setup.issue_link(store)

    with pytest.raises(NotFound):
        await setup.check_link(store, token)


async def test_setup_link_creates_one_admin_without_a_factor_and_audits_it(store: Store) -> None:
    link = await setup.issue_link(store)
    assert link is not None

    created = await _admin(store, link.token, username=" Ada ")

    stored = await users.find_by_username(store, "ada")
    assert stored is not None and created.username == "ada"
    assert (stored["level"], stored["team"], stored["totp_secret"]) == ("admin", "ppcs", None)
    assert users.password_matches(stored, PASSWORD)
    events = (await audit.list_events(store, SYSTEM, limit=10)).items
    made = next(e for e in events if e["action"] == "user.create")
    assert (made["user"], made["ip"], made["target"]) == (
        "setup-link",
        "198.51.100.1",
        f"user:{created.id}",
    )
    assert [e["action"] for e in events].count("setup.link_issue") == 1
    with pytest.raises(Gone, match="used already"):
        await setup.check_link(store, link.token)


async def test_setup_link_two_claims_at_once_make_one_admin(store: Store) -> None:
    link = await setup.issue_link(store)
    assert link is not None

    results = await asyncio.gather(
        *(_admin(store, link.token, username=f"admin{n}") for n in range(4)),
        return_exceptions=True,
    )

    made = [r for r in results if isinstance(r, users.NewUser)]
    refused = [r for r in results if isinstance(r, Gone)]
    assert (len(made), len(refused)) == (1, 3), results
    assert await store.db[users.USERS].count_documents({}) == 1


async def test_setup_link_weak_password_is_refused_and_the_link_still_works(store: Store) -> None:
    link = await setup.issue_link(store)
    assert link is not None

    with pytest.raises(InvalidInput) as refused:
        await setup.create_first_admin(
            store, link.token, username="ada", team="ppcs", password="password1234", ip=None
        )

    assert refused.value.errors[0].field == "password"
    await setup.check_link(store, link.token)
    assert (await _admin(store, link.token)).username == "ada"


async def test_setup_link_dies_when_a_user_is_created_another_way(store: Store) -> None:
    link = await setup.issue_link(store)
    assert link is not None
    await users.create_user(store, SYSTEM, "bob", level="admin", team="ppcs", password=PASSWORD)

    with pytest.raises(Gone, match="an administrator already"):
        await setup.check_link(store, link.token)
    with pytest.raises(Gone, match="an administrator already"):
        await _admin(store, link.token)


async def test_setup_enrolment_is_refused_to_a_user_with_a_factor(store: Store) -> None:
    made = await users.create_user(store, SYSTEM, "bob", level="admin", team="ppcs")

    with pytest.raises(Conflict):
        await credentials.begin_enrolment(store, made.id)
