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
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any

from bson import ObjectId
from gridfs.asynchronous.grid_file import AsyncGridIn
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from records.errors import InvalidInput, TooLarge
from records.media import SNIFF_BYTES, sniff
from records.store import Store

logger = logging.getLogger(__name__)

STAGING = "uploads_staging"
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


class FileSink:
    """Streams one upload into GridFS, hashing and sniffing as the bytes pass."""

    def __init__(self, store: Store, filename: str, *, max_bytes: int) -> None:
        self._store = store
        self._filename = filename
        self._max_bytes = max_bytes
        self._file_id = ObjectId()
        self._hash = hashlib.sha256()
        self._head = bytearray()
        self._media_type: str | None = None
        self._size = 0
        self._grid_in: AsyncGridIn | None = None
        self._touched = store.now()
        self.stored: StoredFile | None = None

    async def __aenter__(self) -> FileSink:
        now = self._store.now()
        await self._store.db[STAGING].insert_one(
            {"_id": self._file_id, "started_at": now, "touched_at": now}
        )
        self._grid_in = self._store.bucket.open_upload_stream_with_id(self._file_id, self._filename)
        return self

    async def write(self, chunk: bytes) -> None:
        assert self._grid_in is not None, "use FileSink as an async context manager"
        self._size += len(chunk)
        if self._size > self._max_bytes:
            raise TooLarge(f"the file is larger than the limit of {self._max_bytes} bytes")

        self._hash.update(chunk)
        if self._media_type is None:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES:
                self._media_type = sniff(bytes(self._head), self._filename)
        await self._grid_in.write(chunk)
        await self._touch()

    async def _touch(self) -> None:
        now = self._store.now()
        if now - self._touched >= TOUCH_EVERY:
            self._touched = now
            await self._store.db[STAGING].update_one(
                {"_id": self._file_id}, {"$set": {"touched_at": now}}
            )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._grid_in is not None
        if exc_type is None and self._size == 0:
            await self._grid_in.abort()
            await discard(self._store, self._file_id)
            raise InvalidInput.field("file", "the file is empty")
        if exc_type is not None:
            # A failed or cancelled upload (client gone, too large, refused
            # type) removes its chunks at once rather than waiting for the sweep.
            try:
                await self._grid_in.abort()
                await discard(self._store, self._file_id)
            except PyMongoError:
                logger.warning(
                    "partial upload left for the sweep", extra={"file_id": str(self._file_id)}
                )
            return

        media_type = self._media_type or sniff(bytes(self._head), self._filename)
        await self._grid_in.close()
        self.stored = StoredFile(
            self._file_id, self._filename, media_type, self._size, self._hash.hexdigest()
        )


async def commit(store: Store, file_id: ObjectId, session: AsyncClientSession) -> None:
    """Inside the version's transaction: the bytes now belong to a record."""
    await store.db[STAGING].delete_one({"_id": file_id}, session=session)


async def discard(store: Store, file_id: ObjectId) -> None:
    """Remove a staged file's chunks, file record and marker; never a committed one."""
    if await store.db[STAGING].find_one({"_id": file_id}) is None:
        return  # committed with its version, or already gone
    await store.db["fs.chunks"].delete_many({"files_id": file_id})
    await store.db["fs.files"].delete_one({"_id": file_id})
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
