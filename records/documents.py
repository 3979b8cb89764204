"""Documents: titled, typed, marked records with an ordered list of versions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from records import audit, cases, files, folders, vocabulary
from records.actors import Actor
from records.errors import (
    InvalidInput,
    MalformedInput,
    NotFound,
    PreconditionRequired,
    StaleRevision,
)
from records.files import StoredFile
from records.paging import Page, page
from records.policy import Action, can_see_document, document_filter, require
from records.store import Store, as_utc, iso, parse_id
from records.validation import Fields, parse_json, unstorable

DOCUMENTS = "documents"
# What stays of a destroyed document (retention.destroy writes them). Each keeps
# its document's _id, case and limit, so it is exactly as visible; named here,
# as the audit trail hides events on a tombstone its reader may not see.
TOMBSTONES = "retention_tombstones"
MARKINGS = ("OFFICIAL", "OFFICIAL-SENSITIVE")
SENSITIVE = "OFFICIAL-SENSITIVE"
MAX_METADATA_BYTES = 16 * 1024
MAX_COMMENT = 1000
EDITABLE = {
    "title",
    "doc_type",
    "folder_id",
    "document_date",
    "protective_marking",
    "handling_instruction",
    "metadata",
}


async def load(
    store: Store, actor: Actor, document_id: str, action: Action
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document and its case, if the actor may do action to it."""
    oid = parse_id(document_id, kind="document")
    document = await store.db[DOCUMENTS].find_one({"_id": oid})
    if document is None:
        raise NotFound.absent("document", document_id)
    try:
        case = await cases.get_case(store, actor, document["case_id"], action=Action.CASE_READ)
    except NotFound as exc:
        # Name the document, never the case id a stranger could not know.
        raise NotFound.absent("document", document_id) from exc
    # Seeing comes before doing: a document hidden from the actor is absent,
    # whatever they meant to do to it (403 would say that it exists).
    if not can_see_document(actor, document):
        raise NotFound.absent("document", document_id)
    require(actor, action, case, what="document", ident=document_id)
    return document, case


async def view(store: Store, actor: Actor, document_id: str) -> dict[str, Any]:
    """The document for reading, its consultation audited (who looked at what, and when)."""
    document, case = await load(store, actor, document_id, Action.DOCUMENT_READ)
    # A look at a document limited to named people says so, for whoever reviews them.
    limited = {"restricted": True} if document.get("restricted_to") else None
    await audit.record(
        store,
        actor,
        "document.view",
        f"document:{document['_id']}",
        case_id=case["_id"],
        document_id=document["_id"],
        detail=limited,
    )
    return document


async def read_fields(
    store: Store,
    case: dict[str, Any],
    data: dict[str, Any],
    *,
    partial: bool,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validated document fields from a form or JSON body; all problems at once.

    current is the document being changed: the type it holds stays valid if retired.
    """
    fields = Fields(data)
    changes: dict[str, Any] = {}

    def present(name: str) -> bool:
        return not partial or name in data

    if present("title"):
        changes["title"] = fields.text("title", max_length=300)
    if present("doc_type"):
        changes["doc_type"] = fields.text("doc_type", max_length=64)
    if "document_date" in data:
        changes["document_date"] = fields.date("document_date")
    if "handling_instruction" in data:
        changes["handling_instruction"] = fields.text(
            "handling_instruction", required=False, max_length=200
        )
    if present("protective_marking"):
        changes["protective_marking"] = _marking(fields, data.get("protective_marking"))
    if "metadata" in data:
        changes["metadata"] = _metadata(fields, data["metadata"])
    elif not partial:
        changes["metadata"] = {}
    folder_id = fields.text("folder_id", required=False, max_length=64)
    fields.check()

    if changes.get("doc_type"):
        changes["doc_type"] = await vocabulary.resolve(
            store,
            "document_types",
            "doc_type",
            changes["doc_type"],
            held=(current or {}).get("doc_type"),
        )
    if folder_id is not None:
        changes["folder_id"] = await folders.folder_in_case(store, case["_id"], folder_id)
    elif "folder_id" in data:
        changes["folder_id"] = None
    return changes


def _marking(fields: Fields, value: Any) -> str:
    if value in (None, ""):
        return "OFFICIAL"
    if not isinstance(value, str) or value.strip().upper() not in MARKINGS:
        fields.fail("protective_marking", f"must be one of {', '.join(MARKINGS)}")
        return "OFFICIAL"
    return value.strip().upper()


def _metadata(fields: Fields, value: Any) -> dict[str, Any]:
    # A form sends metadata as JSON text; a JSON body sends the object itself.
    if isinstance(value, str):
        try:
            value = parse_json(value, what="it") if value.strip() else {}
        except MalformedInput as exc:
            fields.fail("metadata", f"must be a JSON object; {exc.detail}")
            return {}
    if not isinstance(value, dict):
        fields.fail("metadata", "must be a JSON object")
        return {}
    problem = unstorable(value)
    if problem:
        fields.fail("metadata", problem)
        return {}
    if len(json.dumps(value)) > MAX_METADATA_BYTES:
        fields.fail("metadata", f"must be at most {MAX_METADATA_BYTES} bytes as JSON")
    if any(key.startswith("$") or "." in key for key in _keys(value)):
        fields.fail("metadata", "keys must not start with '$' or contain '.'")
    return value


def _keys(value: Any) -> Iterator[str]:
    """Every key at every level: MongoDB reads "$x" and "a.b" as operators and paths."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def version_record(
    stored: StoredFile, actor: Actor, number: int, comment: str | None, at: datetime
) -> dict[str, Any]:
    return {
        "number": number,
        "file_id": stored.file_id,
        "filename": stored.filename,
        "media_type": stored.media_type,
        "size": stored.size,
        "sha256": stored.sha256,
        # Kept beside the size so a download needs no fs.files lookup.
        "chunk_size": stored.chunk_size,
        "created_at": at,
        "created_by": actor.username,
        "comment": comment,
        # The extraction worker's durable state for this version (search/worker.py).
        "text_status": "pending",
        "text_attempts": 0,
    }


# Set with every change the search index must follow; the worker clears the flag
# only if the generation it indexed is still the latest (search/worker.py).
INDEX_DIRTY = {"index_dirty": True}
INDEX_GENERATION = {"index_generation": 1}


async def create_document(
    store: Store,
    actor: Actor,
    case: dict[str, Any],
    data: dict[str, Any],
    stored: StoredFile,
    *,
    built: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """File a new document with its first version; the bytes are already staged.

    built, for a document the system made (a dossier): its job and manifest.
    """
    require(actor, Action.DOCUMENT_WRITE, case, what="case")
    # A misspelt or unsupported field is refused, not silently dropped.
    form = Fields(data)
    form.unknown(EDITABLE | {"comment"})
    comment = form.text("comment", required=False, max_length=MAX_COMMENT)
    form.check()
    fields = await read_fields(store, case, data, partial=False)

    now = store.now()
    document = {
        "case_id": case["_id"],
        "folder_id": fields.get("folder_id"),
        "title": fields["title"],
        "doc_type": fields["doc_type"],
        "document_date": fields.get("document_date"),
        "protective_marking": fields["protective_marking"],
        "handling_instruction": fields.get("handling_instruction"),
        "metadata": fields["metadata"],
        "revision": 1,
        "current_version": 1,
        "shared_with_external": False,
        "lock": None,
        "text_status": "pending",
        "index_dirty": True,
        "index_generation": 1,
        "versions": [version_record(stored, actor, 1, comment, now)],
        "created_at": now,
        "created_by": actor.username,
        "updated_at": now,
        **(built or {}),
    }

    async def insert(session: AsyncClientSession) -> None:
        document.pop("_id", None)  # a retried transaction inserts afresh
        result = await store.db[DOCUMENTS].insert_one(document, session=session)
        await files.commit(store, stored.file_id, session)
        await audit.record(
            store,
            actor,
            "document.create",
            f"document:{result.inserted_id}",
            case_id=case["_id"],
            document_id=result.inserted_id,
            session=session,
            detail={"title": document["title"], "sha256": stored.sha256, "size": stored.size},
        )

    await store.transaction(insert)
    return document


def parse_if_match(header: str | None) -> int:
    """The revision in an If-Match header such as "3" or W/"3"."""
    if header is None:
        raise PreconditionRequired('send If-Match: "<revision>" with the revision you read')
    value = header.strip().removeprefix("W/")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value.isdigit() or len(value) > 18:
        raise MalformedInput(f'If-Match {header!r} is not a revision such as "3"')
    return int(value)


async def update_metadata(
    store: Store, actor: Actor, document_id: str, data: Any, *, expected_revision: int
) -> dict[str, Any]:
    document, case = await load(store, actor, document_id, Action.DOCUMENT_WRITE)
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    unknown = set(data) - EDITABLE
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], "is not an editable field")
    asked = await read_fields(store, case, data, partial=True, current=document)
    changes = {name: value for name, value in asked.items() if document.get(name) != value}
    if document.get("restricted_to") and changes.get("protective_marking", SENSITIVE) != SENSITIVE:
        raise InvalidInput.field(
            "protective_marking",
            "the document is limited to named people; lift the limit before lowering its marking",
        )
    if not changes:
        # Nothing would change: no new revision, no event; a stale one is still stale.
        if document["revision"] != expected_revision:
            raise _stale(expected_revision)
        return document

    # The change and its audit event commit together or not at all.
    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        updated = await store.db[DOCUMENTS].find_one_and_update(
            {"_id": document["_id"], "revision": expected_revision},
            {
                "$set": {**changes, **INDEX_DIRTY, "updated_at": store.now()},
                "$inc": {"revision": 1, **INDEX_GENERATION},
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if updated is None:
            raise _stale(expected_revision)
        await audit.record(
            store,
            actor,
            "document.update",
            f"document:{document['_id']}",
            case_id=case["_id"],
            document_id=document["_id"],
            session=session,
            detail={"fields": sorted(changes), "revision": updated["revision"]},
        )
        return updated

    return await store.transaction(apply)


def _stale(expected_revision: int) -> StaleRevision:
    return StaleRevision(
        f"the document has changed since revision {expected_revision}; "
        "fetch it again and reapply your change"
    )


async def set_sharing(store: Store, actor: Actor, document_id: str, data: Any) -> dict[str, Any]:
    document, case = await load(store, actor, document_id, Action.DOCUMENT_SHARE)
    if not isinstance(data, dict) or not isinstance(data.get("shared_with_external"), bool):
        raise InvalidInput.field("shared_with_external", "must be true or false")
    shared = data["shared_with_external"]

    async def apply(session: AsyncClientSession) -> dict[str, Any]:
        updated = await store.db[DOCUMENTS].find_one_and_update(
            {"_id": document["_id"]},
            {
                "$set": {
                    "shared_with_external": shared,
                    **INDEX_DIRTY,
                    "updated_at": store.now(),
                },
                "$inc": INDEX_GENERATION,
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if updated is None:
            raise NotFound.absent("document", document_id)
        await audit.record(
            store,
            actor,
            "document.sharing",
            f"document:{document['_id']}",
            case_id=case["_id"],
            document_id=document["_id"],
            session=session,
            detail={"shared_with_external": shared},
        )
        return updated

    return await store.transaction(apply)


def version_view(version: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": version["number"],
        "filename": version["filename"],
        "media_type": version["media_type"],
        "size": version["size"],
        "sha256": version["sha256"],
        "created_at": iso(version["created_at"]),
        "created_by": version["created_by"],
        "comment": version.get("comment"),
        "text_status": version.get("text_status", "pending"),
        "text_reason": version.get("text_reason"),
    }


def document_view(document: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    return {
        "id": str(document["_id"]),
        "case_id": str(document["case_id"]),
        "folder_id": str(document["folder_id"]) if document.get("folder_id") else None,
        "title": document["title"],
        "doc_type": document["doc_type"],
        "document_date": document.get("document_date"),
        "protective_marking": document["protective_marking"],
        "handling_instruction": document.get("handling_instruction"),
        "metadata": document.get("metadata") or {},
        "revision": document["revision"],
        "current_version": document["current_version"],
        "shared_with_external": document.get("shared_with_external", False),
        "restricted_to": _restriction_view(document.get("restricted_to")),
        "lock": lock_view(document.get("lock"), now=now),
        "text_status": document.get("text_status", "pending"),
        "versions": [version_view(v) for v in document["versions"]],
        "created_at": iso(document["created_at"]),
        "updated_at": iso(document["updated_at"]),
    }


async def list_case_documents(
    store: Store,
    actor: Actor,
    case: dict[str, Any],
    *,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """One page of the case's documents, in filing order."""
    require(actor, Action.DOCUMENT_READ, case, what="case")
    query: dict[str, Any] = {"case_id": case["_id"], **document_filter(actor)}
    return await page(store.db[DOCUMENTS], query, limit=limit, cursor=cursor)


def _restriction_view(limit: dict[str, Any] | None) -> dict[str, list[str]] | None:
    if not limit:
        return None
    return {"users": list(limit.get("users") or []), "teams": list(limit.get("teams") or [])}


def lock_view(lock: dict[str, Any] | None, *, now: datetime) -> dict[str, Any] | None:
    """The lock as clients see it; an expired lock is no lock at all."""
    if not lock or as_utc(lock["expires_at"]) <= now:
        return None
    return {
        "holder": lock["holder"],
        "acquired_at": iso(lock["acquired_at"]),
        "expires_at": iso(lock["expires_at"]),
    }
