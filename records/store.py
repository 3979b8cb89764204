"""The handle every records function takes: database, GridFS bucket, clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from bson import ObjectId
from bson.errors import InvalidId
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from records.errors import AuditRace, NotFound

T = TypeVar("T")
Doc = dict[str, Any]

# 1 MiB chunks: fewer round trips than GridFS's 255 KiB default, measured faster
# against the embedded server, and still far below MongoDB's 16 MiB limit.
DEFAULT_CHUNK_SIZE = 1024 * 1024
TRANSACTION_ATTEMPTS = 20


def utcnow() -> datetime:
    """Now, truncated to milliseconds as BSON stores it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime) -> datetime:
    """PyMongo returns naive datetimes unless asked; treat them as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_id(value: str, *, kind: str) -> ObjectId:
    """An id from a URL; a malformed one is simply a record that is not there."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError) as exc:
        raise NotFound.absent(kind, value) from exc


def open_store(uri: str, database: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Store:
    """Connect lazily; the first operation waits up to 10 s for the server."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(
        uri, tz_aware=True, serverSelectionTimeoutMS=10_000, connectTimeoutMS=5_000
    )
    return Store(client=client, db=client[database], chunk_size=chunk_size)


@dataclass
class Store:
    client: AsyncMongoClient[Doc]
    db: AsyncDatabase[Doc]
    chunk_size: int = DEFAULT_CHUNK_SIZE
    clock: Callable[[], datetime] = field(default=utcnow)
    _bucket: AsyncGridFSBucket | None = None
    # The newest audit event this process knows of (sequence, hash): a hint
    # that saves a search for the chain's end on each event (records.audit).
    audit_tail: tuple[int, str] | None = None
    # Whether that event is known to be committed (not in a transaction that may roll back).
    audit_tail_committed: bool = False
    # Audit events of this process are appended one at a time (records.audit);
    # a transaction holds it from start to commit, as its event is written inside.
    audit_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def bucket(self) -> AsyncGridFSBucket:
        if self._bucket is None:
            self._bucket = AsyncGridFSBucket(self.db, chunk_size_bytes=self.chunk_size)
        return self._bucket

    def now(self) -> datetime:
        return self.clock()

    async def close(self) -> None:
        await self.client.close()

    async def transaction(self, body: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
        """Run body in a transaction, retried on transient write conflicts.

        Also retried, whole, when its audit event lost its place in the chain
        to another writer's: a transaction cannot go on after a failed write.
        """
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                async with self.audit_lock, self.client.start_session() as session:
                    done = await session.with_transaction(body)
                    # Committed: the events it wrote are there, the hint need not be checked.
                    self.audit_tail_committed = self.audit_tail is not None
                    return done
            except AuditRace:
                if attempt == TRANSACTION_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")


def iso(value: datetime) -> str:
    """An ISO 8601 timestamp with a Z offset, as api.md promises."""
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
