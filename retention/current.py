"""Each document's disposition as it stands: the rule that governs it and its date, on reading.

Evaluation (retention.evaluate) stores per case the rules that qualify for
its documents and when each falls due. Which of them governs a document
depends on the document's type, marking and metadata (and, for a rule
dated by each document, its own date), so it is chosen here, for the
documents of a few cases at a time, by the same $switch evaluation's
expressions build, with the cases' facts as they are now.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from records.documents import DOCUMENTS
from records.store import Store
from retention import expressions, rule_store
from retention.rules import Rule


async def with_dispositions(
    store: Store, rules: list[Rule], case_ids: list[ObjectId], match: dict[str, Any]
) -> list[dict[str, Any]]:
    """The documents matching match, in the cases named, each with its `disposition` (or None).

    Only the fields retention reads come back (expressions.prepare).
    """
    facts, slots = await expressions.case_facts(store, rules, {"_id": {"$in": case_ids}})
    facts_by_case = expressions.facts_map(facts)
    stages = expressions.document_stages(rules, slots, store.now(), facts=facts_by_case)
    # The cases' documents by the case_id index first: the embedded server plans
    # no index for a filter with a top-level $and, and would read every document.
    pipeline = [{"$match": {"case_id": {"$in": case_ids}}}, {"$match": match}, *stages]
    found = await (await store.db[DOCUMENTS].aggregate(pipeline)).to_list()
    for document in found:
        document["disposition"] = document.pop("new", None)
        document.pop("facts", None)
    return found


async def of_documents(
    store: Store, documents: list[dict[str, Any]]
) -> dict[ObjectId, dict[str, Any] | None]:
    """The disposition of each document given (stored records, read by _id), by _id."""
    if not documents:
        return {}
    rules = await rule_store.all_rules(store)
    case_ids = list({d["case_id"] for d in documents})
    match = {"_id": {"$in": [d["_id"] for d in documents]}}
    return {
        d["_id"]: d["disposition"] for d in await with_dispositions(store, rules, case_ids, match)
    }


async def disposition_of(store: Store, document: dict[str, Any]) -> dict[str, Any]:
    """One document's disposition; empty when no rule governs it."""
    return (await of_documents(store, [document])).get(document["_id"]) or {}
