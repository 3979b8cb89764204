"""Which retention records an actor may see: those whose documents, or their traces, they could.

Proposals, runs, certificates and holds name documents; each is shown only
to a records manager who could see every document it names, so that none
of them tells anyone else that a record exists.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from records.actors import Actor
from records.cases import CASES
from records.documents import DOCUMENTS
from records.documents import TOMBSTONES as TOMBSTONES  # where retention's modules find it
from records.policy import case_filter, document_filter
from records.store import Store


async def visible_documents(store: Store, actor: Actor) -> dict[str, Any]:
    """The query clause for documents in cases the actor sees, as records.policy decides."""
    scope = case_filter(actor)
    clause: dict[str, Any] = dict(document_filter(actor))
    if scope:
        case_ids = await store.db[CASES].distinct("_id", scope)
        clause = {"$and": [clause, {"case_id": {"$in": case_ids}}]}
    return clause


async def sees_every_document(
    store: Store,
    actor: Actor,
    document_ids: list[ObjectId],
    *,
    visible: dict[str, Any] | None = None,
) -> bool:
    """The actor may see each of these documents, or its tombstone once it is destroyed.

    An id that is neither counts as unseen. visible is visible_documents'
    clause, when the caller has it already (asking it again for each of a
    page's items would read the actor's cases each time).
    """
    wanted = list(set(document_ids))
    clause = visible if visible is not None else await visible_documents(store, actor)
    among = {"$and": [clause, {"_id": {"$in": wanted}}]}
    seen = await store.db[DOCUMENTS].count_documents(among)
    seen += await store.db[TOMBSTONES].count_documents(among)
    return seen == len(wanted)


async def sees_every_case_of(store: Store, actor: Actor, offender_id: Any) -> bool:
    """The actor sees every case of the person: nothing of theirs is beyond the actor's reach."""
    scope = case_filter(actor)
    if not scope:
        return True
    every = await store.db[CASES].count_documents({"offender_id": offender_id})
    seen = await store.db[CASES].count_documents({"$and": [{"offender_id": offender_id}, scope]})
    return seen == every


async def sees_any_case_of(store: Store, actor: Actor, offender_id: Any) -> bool:
    """The actor sees at least one case of the person."""
    scope = case_filter(actor)
    if not scope:
        return True
    found = await store.db[CASES].find_one(
        {"$and": [{"offender_id": offender_id}, scope]}, {"_id": 1}
    )
    return found is not None
