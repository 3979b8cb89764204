"""Retention's collections, indexes and default schedule; safe to run at every start."""

from __future__ import annotations

from records.store import Store
from retention import destroy, evaluate, holds, review, rule_store


async def prepare(store: Store) -> None:
    await rule_store.ensure_indexes(store)
    await evaluate.ensure_indexes(store)
    await holds.ensure_indexes(store)
    await review.ensure_indexes(store)
    await destroy.ensure_indexes(store)
    await rule_store.seed(store)
