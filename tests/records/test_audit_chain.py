"""The audit trail's hash chain: written in order under concurrency, and every tampering found."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit
from records.actors import Actor
from records.audit_chain import GENESIS, verify
from records.store import Store
from tests.conftest import Clock

ALICE = Actor(id="u1", username="alice", level="caseworker", team="ppcs", ip="198.51.100.7")


async def write(store: Store, count: int, action: str = "document.download") -> None:
    for n in range(count):
        await audit.record(store, ALICE, action, f"document:{n}", detail={"n": n})


async def chain(store: Store) -> list[dict[str, Any]]:
    return [e async for e in store.db[audit.COLLECTION].find({}).sort("seq", 1)]


async def test_audit_chain_links_each_event_to_the_one_before(store: Store) -> None:
    await write(store, 5)

    events = await chain(store)
    checked = await verify(store, audit.COLLECTION)

    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["prev"] == GENESIS
    assert all(b["prev"] == a["hash"] for a, b in itertools.pairwise(events))
    assert checked.broken is None and (checked.events, checked.last_seq) == (5, 5)


async def test_audit_chain_stays_whole_under_concurrent_writers_and_transactions(
    store: Store,
) -> None:
    async def in_transaction(n: int) -> None:
        async def body(session: AsyncClientSession) -> None:
            await audit.record(store, ALICE, "case.update", f"case:{n}", session=session)
            await audit.record(store, ALICE, "case.note", f"case:{n}", session=session)

        await store.transaction(body)

    # A second process's view of the same database: its own hint of the chain's end.
    other = Store(client=store.client, db=store.db)
    await asyncio.gather(
        *(audit.record(store, ALICE, "a", f"x:{n}") for n in range(20)),
        *(audit.record(other, ALICE, "b", f"y:{n}") for n in range(20)),
        *(in_transaction(n) for n in range(10)),
    )

    events = await chain(store)
    assert [e["seq"] for e in events] == list(range(1, 61))
    assert (await verify(store, audit.COLLECTION)).broken is None


async def test_audit_chain_names_an_altered_event(store: Store) -> None:
    await write(store, 4)
    await store.db[audit.COLLECTION].update_one({"seq": 3}, {"$set": {"user": "mallory"}})

    broken = (await verify(store, audit.COLLECTION)).broken

    assert broken is not None and broken.seq == 3 and "altered" in broken.what


async def test_audit_chain_names_a_removed_event(store: Store) -> None:
    await write(store, 5)
    await store.db[audit.COLLECTION].delete_one({"seq": 3})

    broken = (await verify(store, audit.COLLECTION)).broken

    assert broken is not None and broken.seq == 4
    assert "event 3 was removed" in broken.what


async def test_audit_chain_names_an_event_inserted_from_outside(store: Store) -> None:
    await write(store, 2)
    forged = await store.db[audit.COLLECTION].insert_one({"user": "mallory", "action": "x"})

    broken = (await verify(store, audit.COLLECTION)).broken

    assert broken is not None and broken.event_id == str(forged.inserted_id)
    assert "inserted" in broken.what


async def test_audit_chain_names_an_event_replaced_with_its_hash_recomputed(
    store: Store,
) -> None:
    from records.audit_chain import digest

    await write(store, 4)
    replaced = await store.db[audit.COLLECTION].find_one({"seq": 2})
    assert replaced is not None
    replaced["user"] = "mallory"
    replaced["hash"] = digest(replaced)
    await store.db[audit.COLLECTION].replace_one({"seq": 2}, replaced)

    broken = (await verify(store, audit.COLLECTION)).broken

    assert broken is not None and broken.seq == 3 and "does not link to event 2" in broken.what


async def test_audit_expiry_removes_old_events_and_the_chain_still_verifies(
    store: Store, clock: Clock
) -> None:
    await write(store, 3)
    clock.advance(days=800)
    await write(store, 2)

    removed = await audit.expire(store, keep_days=730)

    events = await chain(store)
    assert removed == 3
    assert [e["seq"] for e in events] == [4, 5, 6]
    assert events[-1]["action"] == "audit.expire"
    assert events[-1]["detail"]["removed"] == 3
    checked = await verify(store, audit.COLLECTION)
    assert checked.broken is None and checked.expired_before == 4
    assert await audit.expire(store, keep_days=730) == 0


async def test_audit_removal_of_the_oldest_events_without_expiry_is_found(store: Store) -> None:
    await write(store, 4)
    await store.db[audit.COLLECTION].delete_many({"seq": {"$lt": 3}})

    broken = (await verify(store, audit.COLLECTION)).broken

    assert broken is not None and broken.seq == 3 and "(1 to 2) are gone" in broken.what


async def test_audit_expiry_keeps_at_least_six_months(store: Store) -> None:
    with pytest.raises(ValueError, match="at least 183"):
        await audit.expire(store, keep_days=30)


async def test_audit_chain_hashes_the_time_as_it_is_stored(store: Store, clock: Clock) -> None:
    # Microseconds are lost in BSON; the hash must not depend on them.
    clock.at = datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=UTC)
    await write(store, 2)
    clock.advance(timedelta(microseconds=999))
    await write(store, 1)

    assert (await verify(store, audit.COLLECTION)).broken is None


def test_audit_csv_row_defuses_cells_a_spreadsheet_would_run() -> None:
    row = audit.event_row(
        {
            "seq": 7,
            "at": datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
            "user": "@admin",
            "action": "case.create",
            "target": '=HYPERLINK("http://x")',
            "detail": {"title": "+1"},
            "ip": "-1",
        }
    )

    assert row[:5] == [
        "7",
        "2026-12-04T09:00:00.000Z",
        "'@admin",
        "case.create",
        '\'=HYPERLINK("http://x")',
    ]
    assert row[5] == '{"title": "+1"}' and row[6] == "'-1"


async def test_audit_chain_stays_whole_when_a_transaction_rolls_back_its_event(
    store: Store,
) -> None:
    await write(store, 2)

    async def body(session: AsyncClientSession) -> None:
        await audit.record(store, ALICE, "case.update", "case:1", session=session)
        raise RuntimeError("the write this event records failed")

    with pytest.raises(RuntimeError):
        await store.transaction(body)
    await write(store, 1)

    assert [e["seq"] for e in await chain(store)] == [1, 2, 3]
    assert (await verify(store, audit.COLLECTION)).broken is None
