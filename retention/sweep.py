"""Retention's jobs in the server's periodic sweep: expire audit events, evaluate, carry on runs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from records import audit
from records.store import Store
from retention import evaluate, holds, rule_store, runs
from retention import rules as schedule

logger = logging.getLogger(__name__)

SweepJob = tuple[str, Callable[[], Awaitable[object]]]


async def audit_keep_days(store: Store, *, default: int) -> int:
    """The audit rule's period when there is one (never under the audit's own minimum)."""
    kept = schedule.audit_keep_days(await rule_store.all_rules(store, record_class="audit"))
    return max(kept if kept is not None else default, audit.MIN_KEEP_DAYS)


def jobs(store: Store, data_dir: Path, *, audit_default_days: int) -> list[SweepJob]:
    """The sweep's retention jobs, in order, each named so that one failing spares the rest.

    Audit expiry comes first and runs go on whatever evaluation meets: an
    approved destruction must not wait on an evaluation that fails.
    """

    async def expire_audit() -> None:
        keep_days = await audit_keep_days(store, default=audit_default_days)
        await audit.expire(store, keep_days=keep_days)

    async def resume_runs() -> None:
        resumed = await runs.resume(store, data_dir)
        if resumed:
            logger.info("retention.runs.resumed", extra={"runs": resumed})

    return [
        ("audit expiry", expire_audit),
        ("legal hold marks", lambda: holds.mark_covered(store)),
        ("retention evaluation", lambda: evaluate.evaluate(store)),
        ("retention runs", resume_runs),
    ]
