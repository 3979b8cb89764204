"""Version bytes in GridFS: staged while they stream in, committed with the record.

An upload first writes a staging marker, then streams chunks into GridFS,
and only the transaction that adds the version to its document deletes the
marker. So a crash at any point leaves either a committed version whose bytes
are all present, or a marked file that nothing refers to, which the sweep
removes once it has been quiet for the grace period.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import IO, Any

from bson import Int64, ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from records.errors import Conflict, InvalidInput, RecordError, TooLarge
from records.media import SNIFF_BYTES, sniff
from records.store import Store

logger = logging.getLogger(__name__)

STAGING = "uploads_staging"
# The default GridFS bucket's collections, as AsyncGridFSBucket reads them.
FS_BUCKET = "fs"
FILES = f"{FS_BUCKET}.files"
CHUNKS = f"{FS_BUCKET}.chunks"
# Chunks held in memory before one insert_many: 4 MiB at the default chunk size.
FLUSH_CHUNKS = 4
# Chunks asked for in one query when reading; see read_bytes.
READ_CHUNKS = 1
# A marker still being written is refreshed this often, so a slow upload is
# never mistaken for an abandoned one.
TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class StoredFile:
    file_id: ObjectId
    filename: str
    media_type: str
    size: int
    sha256: str
    chunk_size: int


class FileSink:
    """Streams one upload into GridFS, hashing and sniffing as the bytes pass.

    It writes the GridFS layout itself (chunks in ``fs.chunks``, then the file
    document in ``fs.files``, per the GridFS specification) rather than through
    AsyncGridIn: PyMongo 4.9 and later buffer up to 48 MiB of chunks per upload
    before the first insert, so ten concurrent uploads could hold half a GiB,
    and a half-received file would leave nothing for the cleanup to find.
    Here at most FLUSH_CHUNKS chunks are held, and the bytes are readable with
    AsyncGridFSBucket like any other GridFS file.
    """

    def __init__(self, store: Store, filename: str, *, max_bytes: int) -> None:
        self._store = store
        self._filename = filename
        self._max_bytes = max_bytes
        self._file_id = ObjectId()
        self._hash = hashlib.sha256()
        self._head = bytearray()
        self._media_type: str | None = None
        self._size = 0
        self._pending = bytearray()
        self._chunks: list[dict[str, Any]] = []
        self._next_chunk = 0
        self._open = False
        self._touched = store.now()
        self.stored: StoredFile | None = None

    @property
    def file_id(self) -> ObjectId:
        return self._file_id

    async def __aenter__(self) -> FileSink:
        now = self._store.now()
        await self._store.db[STAGING].insert_one(
            {"_id": self._file_id, "started_at": now, "touched_at": now}
        )
        self._open = True
        return self

    async def write(self, chunk: bytes) -> None:
        assert self._open, "use FileSink as an async context manager"
        self._size += len(chunk)
        if self._size > self._max_bytes:
            raise TooLarge(f"the file is larger than the limit of {self._max_bytes} bytes")

        self._hash.update(chunk)
        if self._media_type is None:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES:
                # Refuse a forbidden type as soon as its head is in, not at the end.
                self._media_type = sniff(bytes(self._head), self._filename)

        self._pending += chunk
        size = self._store.chunk_size
        while len(self._pending) >= size:
            self._queue(bytes(self._pending[:size]))
            del self._pending[:size]
        if len(self._chunks) >= FLUSH_CHUNKS:
            await self._flush()
        await self._touch()

    def _queue(self, data: bytes) -> None:
        self._chunks.append({"files_id": self._file_id, "n": self._next_chunk, "data": data})
        self._next_chunk += 1

    async def _flush(self) -> None:
        if self._chunks:
            await self._store.db[CHUNKS].insert_many(self._chunks, ordered=True)
            self._chunks = []

    async def _touch(self, *, always: bool = False) -> None:
        now = self._store.now()
        if not always and now - self._touched < TOUCH_EVERY:
            return
        self._touched = now
        touched = await self._store.db[STAGING].update_one(
            {"_id": self._file_id, "discarding": {"$ne": True}}, {"$set": {"touched_at": now}}
        )
        if touched.matched_count == 0:
            # The upload stalled past the grace period and the sweep took its
            # chunks; going on would store a file with a hole in it.
            raise _swept()

    async def _finish(self) -> StoredFile:
        """Refuse an empty or forbidden file, else write the last chunk and the file record."""
        if self._size == 0:
            raise InvalidInput.field("file", "the file is empty")
        media_type = self._media_type or sniff(bytes(self._head), self._filename)
        await self._touch(always=True)

        if self._pending:
            self._queue(bytes(self._pending))
            self._pending.clear()
        await self._flush()
        await self._store.db[FILES].insert_one(
            {
                "_id": self._file_id,
                "length": Int64(self._size),
                "chunkSize": self._store.chunk_size,
                "uploadDate": self._store.now(),
                "filename": self._filename,
                "metadata": {"sha256": self._hash.hexdigest(), "media_type": media_type},
            }
        )
        return StoredFile(
            self._file_id,
            self._filename,
            media_type,
            self._size,
            self._hash.hexdigest(),
            self._store.chunk_size,
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        if exc_type is None:
            try:
                self.stored = await self._finish()
                return
            except BaseException:
                await self._discard_quietly()
                raise
        # A failed or cancelled upload (client gone, too large, refused type)
        # removes its chunks at once rather than waiting for the sweep.
        await self._discard_quietly()

    async def _discard_quietly(self) -> None:
        self._chunks = []
        try:
            # Unconditionally: nothing can have committed a file still being written,
            # and after a sweep took the marker, later chunks must go too.
            await _remove(self._store, self._file_id)
        except PyMongoError:
            logger.warning(
                "partial upload left for the sweep", extra={"file_id": str(self._file_id)}
            )


def _swept() -> Conflict:
    return Conflict(
        "the upload was idle so long that its staged bytes were removed; send the file again"
    )


class MissingBytes(RecordError):
    """A committed file's chunks are not all there: damage from outside the application."""


async def chunk_size_of(store: Store, file_id: ObjectId) -> int:
    """The chunk size GridFS recorded for a file, for versions that do not carry it."""
    described = await store.db[FILES].find_one({"_id": file_id}, {"chunkSize": 1})
    if described is None:
        raise MissingBytes(f"the file {file_id} has no GridFS record")
    return int(described["chunkSize"])


async def read_bytes(
    store: Store, file_id: ObjectId, *, chunk_size: int, first: int, last: int
) -> AsyncIterator[bytes]:
    """Bytes first to last (inclusive) of a stored file, READ_CHUNKS chunks per query.

    Not one cursor over the file, as AsyncGridOut reads: the embedded database
    holds a cursor's remaining results in memory, measured at +250 MB for one
    200 MB download and +3 GB for eight at once, until it was killed. Asking
    for one chunk at a time, 96 concurrent 200 MB downloads added 466 MB to
    the database (about 5 MB each; four chunks a query added 17 MB each).
    """
    number, last_number = first // chunk_size, last // chunk_size
    while number <= last_number:
        upto = min(number + READ_CHUNKS, last_number + 1)
        found = store.db[CHUNKS].find({"files_id": file_id, "n": {"$gte": number, "$lt": upto}})
        for chunk in await found.sort("n", 1).to_list():
            if chunk["n"] != number:
                raise MissingBytes(f"chunk {number} of file {file_id} is missing")
            offset = number * chunk_size
            data = bytes(chunk["data"])
            yield data[max(first - offset, 0) : last - offset + 1]
            number += 1
        if number < upto:
            raise MissingBytes(f"chunk {number} of file {file_id} is missing")


async def copy_version(store: Store, version: dict[str, Any], out: IO[bytes]) -> None:
    """A version's bytes written to out, a chunk at a time (for workers that need a file)."""
    size = int(version["size"])
    if size == 0:
        return
    chunk_size = int(version.get("chunk_size") or await chunk_size_of(store, version["file_id"]))
    async for piece in read_bytes(
        store, version["file_id"], chunk_size=chunk_size, first=0, last=size - 1
    ):
        out.write(piece)


async def commit(store: Store, file_id: ObjectId, session: AsyncClientSession) -> None:
    """Inside the version's transaction: the bytes now belong to a record.

    Taking the marker is what commits; if the sweep has claimed or removed it,
    the transaction fails rather than record a version without its bytes.
    """
    taken = await store.db[STAGING].delete_one(
        {"_id": file_id, "discarding": {"$ne": True}}, session=session
    )
    if taken.deleted_count != 1:
        raise _swept()


async def discard(store: Store, file_id: ObjectId) -> None:
    """Remove a staged file's chunks, file record and marker; never a committed one."""
    # Claim the marker first: a commit racing this then finds it claimed and
    # fails, and a crash part-way leaves the marker for the next sweep.
    claimed = await store.db[STAGING].update_one({"_id": file_id}, {"$set": {"discarding": True}})
    if claimed.matched_count == 0:
        return  # committed with its version, or already gone
    await _remove(store, file_id)


async def _remove(store: Store, file_id: ObjectId) -> None:
    """Chunks, then the file record, then the marker, so a crash leaves the marker last."""
    await store.db[CHUNKS].delete_many({"files_id": file_id})
    await store.db[FILES].delete_one({"_id": file_id})
    await store.db[STAGING].delete_one({"_id": file_id})


async def sweep_orphans(store: Store, *, grace: timedelta) -> int:
    """Delete staged files untouched for longer than grace that no version uses."""
    cutoff = store.now() - grace
    removed = 0
    async for marker in store.db[STAGING].find({"touched_at": {"$lt": cutoff}}):
        file_id = marker["_id"]
        if await _referenced(store, file_id):
            # Committed by a transaction that also meant to drop the marker;
            # never delete bytes a version points at.
            await store.db[STAGING].delete_one({"_id": file_id})
            continue
        await discard(store, file_id)
        removed += 1

    if removed:
        logger.info("swept orphaned uploads", extra={"removed": removed})
    return removed


async def _referenced(store: Store, file_id: ObjectId) -> bool:
    query: dict[str, Any] = {"versions.file_id": file_id}
    return await store.db["documents"].count_documents(query, limit=1) > 0
