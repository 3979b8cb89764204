"""FileSink and the orphan sweep against the real database: staged, committed, swept."""

from __future__ import annotations

import asyncio
import hashlib
import random
import struct
from datetime import timedelta
from typing import Any

import pytest

from records import cases, documents, files, offenders, users
from records.actors import SYSTEM, Actor
from records.errors import Conflict, InvalidInput, TooLarge, UnsupportedMediaType
from records.files import FLUSH_CHUNKS, FileSink, StoredFile, sweep_orphans
from records.store import Store
from tests.conftest import Clock

GRACE = timedelta(minutes=60)
CHUNK = 64 * 1024  # the test store's chunk size (see conftest)
BIG = b"%PDF-1.4\n" + random.Random(11).randbytes(5 * CHUNK + 1234)
# Odd-sized pieces, so chunk boundaries fall inside writes as they do for real uploads.
PIECE = 10_007
LIMIT = 8 * 1024 * 1024


class Interrupted(Exception):
    """Raised inside a sink's block to stand for any failure of the request."""


@pytest.fixture
async def actor(store: Store) -> Actor:
    created = await users.create_user(store, SYSTEM, "filer", level="caseworker", team="ppcs")
    return Actor(created.id, "filer", "caseworker", "ppcs")


@pytest.fixture
async def case(store: Store, actor: Actor) -> dict[str, Any]:
    offender = await offenders.create_offender(
        store,
        actor,
        {"family_name": "Example", "given_names": "Alex", "date_of_birth": "1985-04-12"},
    )
    return await cases.create_case(
        store,
        actor,
        {"offender_id": str(offender["_id"]), "case_type": "recall", "title": "Recall review"},
    )


def elf_executable(padding: int) -> bytes:
    """A 64-bit ELF header (an x86-64 executable) followed by padding zeros."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 0, 64, 0, 0)
    return ident + header + bytes(padding)


async def write_in_pieces(sink: FileSink, content: bytes) -> None:
    for offset in range(0, len(content), PIECE):
        await sink.write(content[offset : offset + PIECE])


async def stage(store: Store, content: bytes, filename: str = "report.pdf") -> StoredFile:
    """Stream content through a FileSink that finishes normally."""
    async with FileSink(store, filename, max_bytes=LIMIT) as sink:
        await write_in_pieces(sink, content)
    assert sink.stored is not None
    return sink.stored


async def abandon(store: Store, content: bytes) -> FileSink:
    """An upload whose process died mid-stream: entered and written, never exited."""
    sink = FileSink(store, "crashed.pdf", max_bytes=LIMIT)
    await sink.__aenter__()
    await write_in_pieces(sink, content)
    return sink


async def read_back(store: Store, stored: StoredFile) -> bytes:
    stream = await store.bucket.open_download_stream(stored.file_id)
    try:
        return await stream.read()
    finally:
        await stream.close()


async def counts(store: Store) -> dict[str, int]:
    names = ("fs.files", "fs.chunks", "uploads_staging")
    return {name: await store.db[name].count_documents({}) for name in names}


NOTHING = {"fs.files": 0, "fs.chunks": 0, "uploads_staging": 0}


async def file_document(
    store: Store, actor: Actor, case: dict[str, Any], stored: StoredFile
) -> Any:
    data = {"title": "A report", "doc_type": "other"}
    return await documents.create_document(store, actor, case, data, stored)


async def test_sink_file_reads_back_byte_identical_through_gridfs(store: Store) -> None:
    stored = await stage(store, BIG, "bundle.pdf")

    read = await read_back(store, stored)

    assert read == BIG
    assert stored.size == len(BIG)
    assert stored.sha256 == hashlib.sha256(BIG).hexdigest()
    assert stored.media_type == "application/pdf"
    assert stored.filename == "bundle.pdf"
    record = await store.db["fs.files"].find_one({"_id": stored.file_id})
    assert record is not None
    assert record["length"] == len(BIG)
    assert record["chunkSize"] == CHUNK
    assert record["metadata"] == {"sha256": stored.sha256, "media_type": "application/pdf"}


async def test_sink_chunks_follow_the_gridfs_layout(store: Store) -> None:
    stored = await stage(store, BIG)

    chunks = [c async for c in store.db["fs.chunks"].find({"files_id": stored.file_id})]

    chunks.sort(key=lambda c: c["n"])
    assert [c["n"] for c in chunks] == list(range(-(-len(BIG) // CHUNK)))
    assert all(len(c["data"]) == CHUNK for c in chunks[:-1])
    assert len(chunks[-1]["data"]) == len(BIG) % CHUNK
    assert b"".join(c["data"] for c in chunks) == BIG


async def test_sink_finished_file_stays_staged_until_committed(
    store: Store, actor: Actor, case: dict[str, Any]
) -> None:
    stored = await stage(store, BIG)
    assert await store.db["uploads_staging"].count_documents({"_id": stored.file_id}) == 1

    await file_document(store, actor, case, stored)

    assert await store.db["uploads_staging"].count_documents({}) == 0
    assert await read_back(store, stored) == BIG


async def test_sink_writes_chunks_while_the_upload_is_in_progress(store: Store) -> None:
    written_chunks = 10

    async with FileSink(store, "slow.pdf", max_bytes=LIMIT) as sink:
        await write_in_pieces(sink, b"%PDF-1.4\n" + bytes(written_chunks * CHUNK - 9))
        in_progress = await counts(store)

    # At most FLUSH_CHUNKS - 1 whole chunks wait in memory; the rest are stored.
    assert in_progress["fs.chunks"] >= written_chunks - (FLUSH_CHUNKS - 1)
    assert in_progress["fs.files"] == 0
    assert in_progress["uploads_staging"] == 1
    assert await counts(store) == {"fs.files": 1, "fs.chunks": written_chunks, "uploads_staging": 1}


async def test_sink_exception_inside_the_block_removes_everything(store: Store) -> None:
    with pytest.raises(Interrupted):
        async with FileSink(store, "cut.pdf", max_bytes=LIMIT) as sink:
            await write_in_pieces(sink, BIG)
            assert (await counts(store))["fs.chunks"] > 0  # something to clean up
            raise Interrupted

    assert await counts(store) == NOTHING


async def test_sink_cancelled_upload_removes_everything(store: Store) -> None:
    with pytest.raises(asyncio.CancelledError):
        async with FileSink(store, "cut.pdf", max_bytes=LIMIT) as sink:
            await write_in_pieces(sink, BIG)
            raise asyncio.CancelledError

    assert await counts(store) == NOTHING


async def test_sink_empty_file_is_invalid_and_leaves_nothing(store: Store) -> None:
    with pytest.raises(InvalidInput) as raised:
        async with FileSink(store, "empty.pdf", max_bytes=LIMIT):
            pass

    assert [(p.field, p.message) for p in raised.value.errors] == [("file", "the file is empty")]
    assert await counts(store) == NOTHING


async def test_sink_past_max_bytes_is_too_large_and_leaves_nothing(store: Store) -> None:
    limit = 5 * CHUNK

    with pytest.raises(TooLarge, match=str(limit)):
        async with FileSink(store, "big.pdf", max_bytes=limit) as sink:
            await write_in_pieces(sink, b"%PDF-1.4\n" + bytes(limit - 9))
            assert (await counts(store))["fs.chunks"] > 0  # flushed before the limit
            await sink.write(b"x")

    assert await counts(store) == NOTHING


async def test_sink_exactly_max_bytes_is_accepted(store: Store) -> None:
    content = b"%PDF-1.4\n" + bytes(3 * CHUNK)

    async with FileSink(store, "full.pdf", max_bytes=len(content)) as sink:
        await write_in_pieces(sink, content)

    assert sink.stored is not None and sink.stored.size == len(content)


@pytest.mark.parametrize("padding", [1000, 5 * CHUNK], ids=["within-sniff-window", "past-it"])
async def test_sink_executable_is_refused_and_leaves_nothing(store: Store, padding: int) -> None:
    with pytest.raises(UnsupportedMediaType, match="not accepted"):
        async with FileSink(store, "tool.pdf", max_bytes=LIMIT) as sink:
            await write_in_pieces(sink, elf_executable(padding))

    assert await counts(store) == NOTHING


@pytest.mark.parametrize(
    ("quiet_for", "removed"),
    [
        (timedelta(0), 0),
        (GRACE - timedelta(minutes=1), 0),
        (GRACE, 0),
        (GRACE + timedelta(milliseconds=1), 1),
    ],
    ids=["just-now", "within-grace", "exactly-grace", "past-grace"],
)
async def test_sweep_removes_an_abandoned_upload_only_past_the_grace(
    store: Store, clock: Clock, quiet_for: timedelta, removed: int
) -> None:
    await abandon(store, BIG)
    before = await counts(store)
    assert before["fs.chunks"] > 0 and before["uploads_staging"] == 1
    clock.advance(quiet_for)

    swept = await sweep_orphans(store, grace=GRACE)

    assert swept == removed
    assert await counts(store) == (NOTHING if removed else before)


async def test_sweep_removes_a_finished_upload_that_was_never_committed(
    store: Store, clock: Clock
) -> None:
    # The process died after the last chunk and file record, before the version's transaction.
    await stage(store, BIG)
    clock.advance(GRACE + timedelta(minutes=1))

    swept = await sweep_orphans(store, grace=GRACE)

    assert swept == 1
    assert await counts(store) == NOTHING


async def test_sweep_keeps_a_slow_upload_that_is_still_writing(store: Store, clock: Clock) -> None:
    sink = await abandon(store, BIG[: 2 * CHUNK])
    clock.advance(timedelta(minutes=50))
    await sink.write(BIG[2 * CHUNK :])  # still arriving, so the marker is refreshed
    clock.advance(timedelta(minutes=11))

    swept = await sweep_orphans(store, grace=GRACE)
    await sink.__aexit__(None, None, None)

    assert swept == 0
    assert sink.stored is not None
    assert await read_back(store, sink.stored) == BIG


async def test_sweep_keeps_the_bytes_of_a_committed_version_and_drops_its_marker(
    store: Store, clock: Clock, actor: Actor, case: dict[str, Any]
) -> None:
    stored = await stage(store, BIG)
    await file_document(store, actor, case, stored)
    # As if the marker's removal had been lost after the version was committed.
    await store.db["uploads_staging"].insert_one(
        {"_id": stored.file_id, "started_at": clock.at, "touched_at": clock.at}
    )
    clock.advance(GRACE + timedelta(minutes=1))

    swept = await sweep_orphans(store, grace=GRACE)

    assert swept == 0
    assert await store.db["uploads_staging"].count_documents({}) == 0
    assert await read_back(store, stored) == BIG


async def test_sweep_returns_the_number_of_files_removed(
    store: Store, clock: Clock, actor: Actor, case: dict[str, Any]
) -> None:
    await abandon(store, BIG)
    await stage(store, BIG)
    committed = await stage(store, BIG)
    await file_document(store, actor, case, committed)
    await store.db["uploads_staging"].insert_one(
        {"_id": committed.file_id, "started_at": clock.at, "touched_at": clock.at}
    )
    clock.advance(GRACE + timedelta(minutes=1))
    young = await abandon(store, BIG)

    first = await sweep_orphans(store, grace=GRACE)
    second = await sweep_orphans(store, grace=GRACE)

    assert (first, second) == (2, 0)
    remaining = {m["_id"] async for m in store.db["uploads_staging"].find()}
    assert remaining == {young.file_id}
    assert await read_back(store, committed) == BIG


async def test_sweep_finishes_a_removal_that_a_crash_interrupted(
    store: Store, clock: Clock
) -> None:
    sink = await abandon(store, BIG)
    # A sweep claimed the marker, then died before deleting anything.
    await store.db["uploads_staging"].update_one(
        {"_id": sink.file_id}, {"$set": {"discarding": True}}
    )
    clock.advance(GRACE + timedelta(minutes=1))

    swept = await sweep_orphans(store, grace=GRACE)

    assert swept == 1
    assert await counts(store) == NOTHING


async def test_discard_removes_a_staged_file(store: Store) -> None:
    stored = await stage(store, BIG)

    await files.discard(store, stored.file_id)

    assert await counts(store) == NOTHING


async def test_discard_never_removes_a_committed_file(
    store: Store, actor: Actor, case: dict[str, Any]
) -> None:
    stored = await stage(store, BIG)
    await file_document(store, actor, case, stored)

    await files.discard(store, stored.file_id)

    assert await read_back(store, stored) == BIG


async def test_sink_swept_while_stalled_fails_its_next_write_and_leaves_nothing(
    store: Store, clock: Clock
) -> None:
    sink = await abandon(store, BIG[: 2 * CHUNK])
    clock.advance(GRACE + timedelta(minutes=1))
    assert await sweep_orphans(store, grace=GRACE) == 1

    # The client comes back after the sweep: carrying on would store a file with a hole.
    with pytest.raises(Conflict, match="send the file again"):
        await write_in_pieces(sink, BIG[2 * CHUNK :])
    await sink.__aexit__(Conflict, None, None)

    assert await counts(store) == NOTHING


async def test_sink_swept_while_stalled_refuses_to_finish_and_leaves_nothing(
    store: Store, clock: Clock
) -> None:
    sink = await abandon(store, BIG)
    clock.advance(GRACE + timedelta(minutes=1))
    assert await sweep_orphans(store, grace=GRACE) == 1

    with pytest.raises(Conflict, match="send the file again"):
        await sink.__aexit__(None, None, None)

    assert sink.stored is None
    assert await counts(store) == NOTHING


async def test_commit_of_a_swept_file_is_refused(
    store: Store, clock: Clock, actor: Actor, case: dict[str, Any]
) -> None:
    stored = await stage(store, BIG)
    clock.advance(GRACE + timedelta(minutes=1))
    assert await sweep_orphans(store, grace=GRACE) == 1

    # A version pointing at bytes the sweep removed would fail every download.
    with pytest.raises(Conflict, match="send the file again"):
        await file_document(store, actor, case, stored)

    assert await store.db["documents"].count_documents({}) == 0
    assert await store.db["audit"].count_documents({"action": "document.create"}) == 0


async def test_commit_of_a_file_the_sweep_has_claimed_is_refused(
    store: Store, actor: Actor, case: dict[str, Any]
) -> None:
    stored = await stage(store, BIG)
    # The sweep has claimed the marker and is part-way through deleting the chunks.
    await store.db["uploads_staging"].update_one(
        {"_id": stored.file_id}, {"$set": {"discarding": True}}
    )

    with pytest.raises(Conflict, match="send the file again"):
        await file_document(store, actor, case, stored)

    assert await store.db["documents"].count_documents({}) == 0


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (0, len(BIG) - 1),
        (0, 0),
        (CHUNK - 1, CHUNK),
        (3, 4 * CHUNK + 17),
        (CHUNK * FLUSH_CHUNKS, len(BIG) - 1),
        (len(BIG) - 1, len(BIG) - 1),
    ],
    ids=["whole", "first-byte", "across-a-boundary", "across-query-windows", "tail", "last-byte"],
)
async def test_read_bytes_gives_exactly_the_range_asked_for(
    store: Store, first: int, last: int
) -> None:
    stored = await stage(store, BIG)

    pieces = [
        piece
        async for piece in files.read_bytes(
            store, stored.file_id, chunk_size=stored.chunk_size, first=first, last=last
        )
    ]

    assert b"".join(pieces) == BIG[first : last + 1]
    assert all(len(piece) <= CHUNK for piece in pieces)


async def test_read_bytes_of_a_damaged_file_says_which_chunk_is_missing(store: Store) -> None:
    stored = await stage(store, BIG)
    await store.db["fs.chunks"].delete_one({"files_id": stored.file_id, "n": 2})

    with pytest.raises(files.MissingBytes, match="chunk 2"):
        async for _ in files.read_bytes(
            store, stored.file_id, chunk_size=stored.chunk_size, first=0, last=len(BIG) - 1
        ):
            pass
