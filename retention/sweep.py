"""Retention's part of the server's periodic sweep: evaluate, carry on runs, expire audit events."""

from __future__ import annotations

import logging
from pathlib import Path

from records import audit
from records.store import Store
from retention import evaluate, runs
from retention import rules as schedule

logger = logging.getLogger(__name__)


async def audit_keep_days(store: Store, *, default: int) -> int:
    """The audit rule's period when there is one (never under the audit's own minimum)."""
    kept = schedule.audit_keep_days(await schedule.all_rules(store, record_class="audit"))
    return max(kept if kept is not None else default, audit.MIN_KEEP_DAYS)


async def sweep(store: Store, data_dir: Path, *, audit_default_days: int) -> None:
    # Audit expiry first: it must not wait on an evaluation that fails.
    await audit.expire(store, keep_days=await audit_keep_days(store, default=audit_default_days))
    await evaluate.evaluate(store)
    resumed = await runs.resume(store, data_dir)
    if resumed:
        logger.info("retention.runs.resumed", extra={"runs": resumed})
