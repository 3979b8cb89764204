"""The server's periodic sweep: housekeeping jobs that each run whatever the others meet."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from records import csv_import, tasks
from records.files import sweep_orphans
from records.store import Store
from retention import sweep as retention_sweep
from server.config import Settings

logger = logging.getLogger(__name__)

Job = tuple[str, Callable[[], Awaitable[object]]]


def jobs(store: Store, settings: Settings) -> list[Job]:
    """Every job of one sweep, in the order they run."""
    grace = timedelta(minutes=settings.orphan_grace_minutes)
    return [
        ("orphans", lambda: sweep_orphans(store, grace=grace)),
        # Audit events expire by the audit rule (PPUD_AUDIT_KEEP_DAYS when
        # there is none); then evaluation, then disposal runs carried on.
        *retention_sweep.jobs(
            store, settings.data_dir, audit_default_days=settings.audit_keep_days
        ),
        ("tasks", lambda: tasks.sweep(store)),
        ("imports", lambda: csv_import.expire_drafts(store)),
    ]


async def run_once(sweep_jobs: Sequence[Job]) -> list[str]:
    """Runs every job once; returns the names of those that failed."""
    failed = []
    for name, job in sweep_jobs:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The one place a blanket handler is right: a sweep that stops
            # for good (expiry, evaluation, approved destructions) is worse
            # than any one failure. Only the kind is logged, as a message
            # may quote stored values.
            logger.warning(
                "periodic sweep job failed", extra={"job": name, "error": type(exc).__name__}
            )
            failed.append(name)
    return failed


async def run_periodically(store: Store, settings: Settings) -> None:
    """Sweeps every PPUD_SWEEP_INTERVAL_MINUTES until cancelled."""
    sweep_jobs = jobs(store, settings)
    while True:
        await run_once(sweep_jobs)
        await asyncio.sleep(settings.sweep_interval_minutes * 60)
