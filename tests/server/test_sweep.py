"""The periodic sweep: a job that fails spares the others, and the sweep goes on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from records.store import Store
from server.config import Settings
from server.sweep import jobs, run_once


async def test_sweep_job_that_fails_spares_the_jobs_after_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise ValueError("a stored value no log should quote")

    async def after() -> None:
        ran.append("after")

    with caplog.at_level(logging.WARNING, logger="server.sweep"):
        failed = await run_once([("broken", broken), ("after", after)])

    assert failed == ["broken"]
    assert ran == ["after"]
    assert "a stored value" not in caplog.text
    assert [getattr(r, "job", None) for r in caplog.records] == ["broken"]


async def test_sweep_runs_every_job_on_a_real_database(store: Store, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    failed = await run_once(jobs(store, settings))

    assert failed == []
    names = [name for name, _ in jobs(store, settings)]
    assert names.index("audit expiry") < names.index("retention evaluation")
    assert names.index("retention evaluation") < names.index("retention runs")
