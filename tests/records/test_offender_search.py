"""Finding offenders through their search keys, and an offender's cases through their index."""

from __future__ import annotations

from typing import Any

from records import cases, offenders, users
from records.actors import SYSTEM, Actor
from records.indexes import ensure_indexes
from records.store import Store


async def _offender(store: Store, **fields: Any) -> dict[str, Any]:
    body = {"family_name": "Example", "given_names": "Alex", "date_of_birth": "1985-04-12"}
    return await offenders.create_offender(store, SYSTEM, body | fields)


async def _found(store: Store, q: str, *, limit: int | None = None) -> list[str]:
    listed = await offenders.search_offenders(store, SYSTEM, q, limit=limit, cursor=None)
    return [o["family_name"] for o in listed.items]


def _plan(explained: dict[str, Any]) -> list[str]:
    stage, found = explained["queryPlanner"]["winningPlan"], []
    while stage:
        found.append(stage["stage"] + (f":{stage['indexName']}" if "indexName" in stage else ""))
        stage = stage.get("inputStage")
    return found


async def test_offender_search_keys_are_kept_on_the_record_and_follow_a_change(
    store: Store,
) -> None:
    made = await _offender(
        store, family_name="Van Der Berg", aliases=["Johnny Boy"], nomis_number="a1234bc"
    )

    assert made["search_names"] == ["alex", "berg", "boy", "der", "johnny", "van"]
    assert made["search_ids"] == ["A1234BC"]
    await offenders.update_offender(store, SYSTEM, str(made["_id"]), {"family_name": "Okafor"})
    assert await _found(store, "okaf") == ["Okafor"]
    assert await _found(store, "berg") == []


async def test_offender_search_queries_are_answered_from_their_indexes(store: Store) -> None:
    await _offender(store, nomis_number="A1234BC")
    found = store.db[offenders.OFFENDERS]

    by_name = await found.find({"search_names": offenders._prefix_range("exa")}).explain()
    by_number = await found.find({"search_ids": "A1234BC"}).explain()

    assert _plan(by_name)[-1] == "IXSCAN:search_names_1"
    assert _plan(by_number)[-1] == "IXSCAN:search_ids_1"


async def test_offender_filed_before_search_keys_is_found_after_start_up(store: Store) -> None:
    # As a record written by an earlier release: the fields, no keys.
    await store.db[offenders.OFFENDERS].insert_one(
        {
            "family_name": "Pemberton",
            "given_names": "Ruth Ann",
            "date_of_birth": "1970-01-02",
            "aliases": [],
            "nomis_number": "B2345CD",
            "revision": 1,
        }
    )
    assert await _found(store, "pemb") == []

    await ensure_indexes(store)

    assert await _found(store, "pemb") == ["Pemberton"]
    assert await _found(store, "b2345cd") == ["Pemberton"]
    assert await _found(store, "ann pemberton") == ["Pemberton"]


async def test_offender_search_with_several_words_pages_through_every_match(
    store: Store,
) -> None:
    for number in range(5):
        await _offender(store, family_name=f"Smith{number}", given_names="John Paul")
    await _offender(store, family_name="Smith", given_names="Peter")

    first = await offenders.search_offenders(store, SYSTEM, "paul smi", limit=3, cursor=None)
    rest = await offenders.search_offenders(
        store, SYSTEM, "paul smi", limit=3, cursor=first.next_cursor
    )

    assert [o["family_name"] for o in first.items] == ["Smith0", "Smith1", "Smith2"]
    assert [o["family_name"] for o in rest.items] == ["Smith3", "Smith4"]
    assert rest.next_cursor is None


async def test_offender_cases_list_only_the_cases_the_actor_may_see_a_page_at_a_time(
    store: Store,
) -> None:
    for team in ("ppcs", "mhcs"):
        await users.ensure_team(store, team)
    person = await _offender(store)
    other = await _offender(store, family_name="Other")
    for number in range(3):
        await _case(store, person, f"Recall {number}", "ppcs")
    await _case(store, person, "Patient", "mhcs")
    await _case(store, other, "Someone else's", "ppcs")
    reader = Actor("reader", "reader", "caseworker", "ppcs")

    first = await cases.list_cases(store, reader, offender_id=str(person["_id"]), limit=2)
    rest = await cases.list_cases(
        store, reader, offender_id=str(person["_id"]), limit=2, cursor=first.next_cursor
    )

    assert [c["title"] for c in first.items + rest.items] == ["Recall 0", "Recall 1", "Recall 2"]
    assert rest.next_cursor is None


async def _case(store: Store, offender: dict[str, Any], title: str, team: str) -> None:
    body = {"offender_id": str(offender["_id"]), "case_type": "recall", "title": title}
    await cases.create_case(store, SYSTEM, body | {"team": team})
