"""Creating users: only passwords someone can sign in with, and what an external user needs."""

from __future__ import annotations

import pytest

from records import users
from records.actors import SYSTEM, Actor
from records.errors import Duplicate, InvalidInput, NotFound
from records.store import Store

GOOD_PASSWORD = "a long enough pass phrase"


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("short", "at least 12"),
        (" " * 14, "at least 12"),
        ("  eleven chrs  ", "not counting spaces"),
        ("x" * 1025, "at most 1024"),
        ("a long pass\x00phrase", "control characters"),
        ("a long pass\nphrase!", "control characters"),
        ("password1234", "too easy to guess"),
        ("qwertyuiop123", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("kim kim kim kim kim", "too easy to guess"),
    ],
)
async def test_user_create_refuses_a_password_nobody_could_sign_in_with(
    store: Store, password: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await users.create_user(
            store, SYSTEM, "kim", level="viewer", team="ppcs", password=password
        )

    assert refused.value.errors[0].field == "password"
    assert words in refused.value.detail
    assert await users.find_by_username(store, "kim") is None


async def test_user_create_keeps_a_password_of_the_longest_length(store: Store) -> None:
    # Varied, so that it is long and also hard to guess.
    longest = "".join(chr(97 + (n * 7919 + n // 26) % 26) for n in range(users.MAX_PASSWORD))

    await users.create_user(store, SYSTEM, "kim", level="viewer", team="ppcs", password=longest)

    assert users.password_matches(await users.find_by_username(store, "kim"), longest)


@pytest.mark.parametrize("organisation", [None, "", "   "])
async def test_user_create_external_needs_an_organisation_for_the_stamp(
    store: Store, organisation: str | None
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await users.create_user(
            store,
            SYSTEM,
            "panel.member",
            level="viewer",
            team="parole board",
            external=True,
            organisation=organisation,
        )

    assert refused.value.errors[0].field == "organisation"


async def test_user_create_external_keeps_the_organisation(store: Store) -> None:
    await users.create_user(
        store,
        SYSTEM,
        "panel.member",
        level="viewer",
        team="parole board",
        external=True,
        organisation="  Parole Board  ",
    )

    created = await users.find_by_username(store, "panel.member")
    assert created is not None
    assert (created["external"], created["organisation"]) == (True, "Parole Board")


async def test_user_create_refuses_a_level_above_the_creator(store: Store) -> None:
    manager = Actor("m", "manager.one", "manager", "ppcs")

    with pytest.raises(InvalidInput, match="above your own level"):
        await users.create_user(store, manager, "new.admin", level="admin", team="ppcs")


async def test_user_create_twice_is_a_duplicate_whatever_the_case(store: Store) -> None:
    await users.create_user(store, SYSTEM, "kim", level="viewer", team="ppcs")

    with pytest.raises(Duplicate):
        await users.create_user(store, SYSTEM, "KIM", level="viewer", team="ppcs")


async def test_user_set_password_replaces_it_and_checks_it_like_a_new_one(store: Store) -> None:
    await users.create_user(store, SYSTEM, "kim", level="viewer", team="ppcs")

    await users.set_password(store, SYSTEM, "kim", GOOD_PASSWORD)
    with pytest.raises(InvalidInput):
        await users.set_password(store, SYSTEM, "kim", "short")

    kim = await users.find_by_username(store, "kim")
    assert users.password_matches(kim, GOOD_PASSWORD)
    events = await store.db["audit"].find({"action": "user.password"}).to_list()
    assert [e["target"] for e in events] == ["username:kim"]


async def test_user_set_password_of_an_unknown_user_says_so(store: Store) -> None:
    with pytest.raises(NotFound, match="nobody"):
        await users.set_password(store, SYSTEM, "nobody", GOOD_PASSWORD)
