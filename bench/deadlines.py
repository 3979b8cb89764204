"""Deadline benchmark: the sweep that marks overdue tasks, over 100,000 open cases.

One run:

- starts an embedded database and writes 100,000 open cases straight to
  the records, each in a workflow state with one or two open deadline
  tasks: a third already past due, a third due within the week, the rest
  later (the mix a busy casework unit carries);
- moves the clock and times the sweeps a server makes: every 30 minutes
  (its default interval), again with nothing new, after a day without
  sweeps, and the first ever, which marks six days' backlog at once;
- checks each sweep marked exactly the tasks that fell due, and prints the
  figures against the target: the periodic sweep under 10 seconds.

Results also go to bench/results/deadlines-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bson import ObjectId

from bench.transfer import DATABASE, TEAM
from records import tasks
from records.cases import CASES
from records.indexes import ensure_indexes
from records.store import Store, open_store
from server.embedded_db import EmbeddedDatabase

SEED = 20_261_204
OPEN_CASES = 100_000
BATCH = 5_000
DAY = 86_400
TARGET_SECONDS = 10.0
RESULTS = Path(__file__).resolve().parent / "results"
STATES = ("received", "assessing", "in_custody", "dossier_preparation", "awaiting_part_b")


def _records(count: int, now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Cases, and their tasks due between six days ago and six days ahead."""
    rng = random.Random(SEED)
    made_cases: list[dict[str, Any]] = []
    made_tasks: list[dict[str, Any]] = []
    for n in range(count):
        case_id = ObjectId()
        team = f"{TEAM}-{n % 20:02d}"
        made_cases.append(
            {
                "_id": case_id,
                "offender_id": ObjectId(),
                "case_type": "recall",
                "title": f"Recall {n:06d}",
                "team": team,
                "state": rng.choice(STATES),
                "state_seq": 1,
                "ended": False,
                "created_at": now - timedelta(days=rng.randint(1, 400)),
                "created_by": "bench",
            }
        )
        for _ in range(rng.choice((1, 1, 2))):
            made_tasks.append(
                {
                    "case_id": case_id,
                    "team": team,
                    "title": "Dossier due",
                    "due_at": now + timedelta(seconds=rng.randint(-6 * DAY, 6 * DAY)),
                    "state": "open",
                    "outcome": None,
                    "overdue": False,
                    "assignee": None,
                    "timer": None,
                    "created_at": now,
                    "created_by": "bench",
                }
            )
    return made_cases, made_tasks


async def _write(store: Store, collection: str, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await store.db[collection].insert_many(rows[start : start + BATCH], ordered=False)


async def _timed_sweep(store: Store, at: datetime, expected: int) -> float:
    store.clock = lambda: at
    started = time.perf_counter()
    marked = await tasks.sweep(store)
    took = time.perf_counter() - started
    if marked != expected:
        raise RuntimeError(f"the sweep at {at} marked {marked} tasks, not {expected}")
    return took


async def run(uri: str, count: int) -> dict[str, Any]:
    store = open_store(uri, DATABASE)
    try:
        await ensure_indexes(store)
        start = store.now()

        began = time.perf_counter()
        made_cases, made_tasks = _records(count, start)
        await _write(store, CASES, made_cases)
        await _write(store, tasks.TASKS, made_tasks)
        seeded = time.perf_counter() - began
        print(f"seeded {count:,} open cases and {len(made_tasks):,} tasks in {seeded:.1f} s")

        def due_by(moment: datetime) -> int:
            return sum(t["due_at"] < moment for t in made_tasks)

        # The server's sweep runs every 30 minutes; the first after a long stop catches up.
        half_hour, day = start + timedelta(minutes=30), start + timedelta(days=1)
        catch_up = await _timed_sweep(store, start, due_by(start))
        periodic = await _timed_sweep(store, half_hour, due_by(half_hour) - due_by(start))
        idle = await _timed_sweep(store, half_hour, 0)
        next_day = await _timed_sweep(store, day, due_by(day) - due_by(half_hour))
    finally:
        await store.close()

    return {
        "open_cases": count,
        "tasks": len(made_tasks),
        "past_due_at_start": due_by(start),
        "falling_due_in_half_hour": due_by(half_hour) - due_by(start),
        "falling_due_in_next_day": due_by(day) - due_by(half_hour),
        "seed_seconds": round(seeded, 1),
        "periodic_sweep_seconds": round(periodic, 3),
        "idle_sweep_seconds": round(idle, 3),
        "day_catch_up_seconds": round(next_day, 3),
        "cold_catch_up_seconds": round(catch_up, 3),
    }


def report(found: dict[str, Any]) -> dict[str, Any]:
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
    periodic = found["periodic_sweep_seconds"]
    verdict = "PASS" if periodic < TARGET_SECONDS else "FAIL"
    print(f"\nPPUD deadline benchmark: {found['open_cases']:,} open cases, {machine}\n")
    print(f"{'sweep':44} {'marked':>8} {'seconds':>9}")
    rows = (
        ("every 30 minutes (the server's interval)", "falling_due_in_half_hour", periodic),
        ("again, nothing new", None, found["idle_sweep_seconds"]),
        ("after a day without sweeps", "falling_due_in_next_day", found["day_catch_up_seconds"]),
        ("first ever, over 6 days' backlog", "past_due_at_start", found["cold_catch_up_seconds"]),
    )
    for label, counted, seconds in rows:
        marked = found[counted] if counted else 0
        print(f"{label:44} {marked:>8,} {seconds:>9.2f}")
    print(f"\nperiodic sweep target < {TARGET_SECONDS:.0f} s: {verdict}")
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine, **found}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.deadlines", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=OPEN_CASES)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="ppud-bench-deadlines-") as folder,
        EmbeddedDatabase(Path(folder) / "database") as database,
    ):
        figures = report(asyncio.run(run(database.uri, args.cases)))
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"deadlines-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    target.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nresults written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
