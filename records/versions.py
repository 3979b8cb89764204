"""Adding versions and reading their bytes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, files
from records.actors import Actor
from records.documents import DOCUMENTS, INDEX_DIRTY, INDEX_GENERATION, load, version_record
from records.errors import Conflict, DocumentLocked, NotFound
from records.files import StoredFile
from records.policy import Action
from records.store import Store, as_utc


def check_not_locked_by_other(store: Store, actor: Actor, document: dict[str, Any]) -> None:
    lock = document.get("lock")
    if lock and as_utc(lock["expires_at"]) > store.now() and lock["holder_id"] != actor.id:
        raise DocumentLocked(lock["holder"])


async def add_version(
    store: Store,
    actor: Actor,
    document_id: str,
    stored: StoredFile,
    *,
    comment: str | None = None,
    check_in: bool = False,
) -> dict[str, Any]:
    """Append a version in one transaction; check_in also releases the holder's lock."""
    document, case = await load(store, actor, document_id, Action.DOCUMENT_WRITE)
    added: dict[str, Any] = {}

    async def append(session: AsyncClientSession) -> None:
        # Re-read inside the transaction: the lock and the version count seen
        # before the upload may have changed while the bytes streamed in.
        current = await store.db[DOCUMENTS].find_one({"_id": document["_id"]}, session=session)
        if current is None:
            raise NotFound.absent("document", document_id)
        check_not_locked_by_other(store, actor, current)

        number = current["current_version"] + 1
        now = store.now()
        version = version_record(stored, actor, number, comment, now)
        changes: dict[str, Any] = {
            "current_version": number,
            "updated_at": now,
            "text_status": "pending",
            **INDEX_DIRTY,
        }
        if check_in:
            changes["lock"] = None
        appended = await store.db[DOCUMENTS].update_one(
            {"_id": current["_id"], "current_version": number - 1},
            {"$push": {"versions": version}, "$set": changes, "$inc": INDEX_GENERATION},
            session=session,
        )
        if appended.matched_count != 1:
            # The transaction's own read said otherwise; refuse rather than
            # acknowledge a version that was never recorded.
            raise Conflict("the document changed while the version was added; try again")
        await files.commit(store, stored.file_id, session)
        await audit.record(
            store,
            actor,
            "version.create",
            f"document:{current['_id']}",
            case_id=case["_id"],
            document_id=current["_id"],
            session=session,
            detail={
                "version": number,
                "sha256": stored.sha256,
                "size": stored.size,
                "check_in": check_in,
            },
        )
        added.clear()
        added.update(version)

    await store.transaction(append)
    return added


@dataclass(frozen=True)
class OpenVersion:
    """One version's record, ready to be read, for the actor asking."""

    document: dict[str, Any]
    case: dict[str, Any]
    version: dict[str, Any]
    chunk_size: int

    def read(self, store: Store, first: int, last: int) -> AsyncIterator[bytes]:
        """Bytes first to last (inclusive) of the version."""
        return files.read_bytes(
            store, self.version["file_id"], chunk_size=self.chunk_size, first=first, last=last
        )


async def open_version(
    store: Store, actor: Actor, document_id: str, number: int | None
) -> OpenVersion:
    """The version (current when number is None), if the actor may read it."""
    document, case = await load(store, actor, document_id, Action.DOCUMENT_READ)
    wanted = number if number is not None else document["current_version"]
    version = next((v for v in document["versions"] if v["number"] == wanted), None)
    if version is None:
        raise NotFound(f"document {document_id} has no version {wanted}")

    # The version carries its chunk size, so reading it needs no fs.files lookup:
    # one round trip fewer per download, a sixth of a small file's cost.
    chunk_size = version.get("chunk_size") or await files.chunk_size_of(store, version["file_id"])
    return OpenVersion(document, case, version, int(chunk_size))


async def record_download(
    store: Store,
    actor: Actor,
    opened: OpenVersion,
    *,
    first: int,
    last: int,
    extra: dict[str, Any] | None = None,
) -> None:
    """Audit bytes first to last (inclusive) of a version as they are about to be sent.

    Called only when bytes go out: a 304, a 416 or a HEAD discloses nothing.
    """
    size = int(opened.version["size"])
    detail: dict[str, Any] = {"version": opened.version["number"], **(extra or {})}
    if (first, last) != (0, size - 1):
        detail["range"] = f"{first}-{last}"
    await audit.record(
        store,
        actor,
        "version.download",
        f"document:{opened.document['_id']}",
        case_id=opened.case["_id"],
        document_id=opened.document["_id"],
        detail=detail,
    )
