"""Retention benchmark: evaluation of every record's disposition at 100,000 and 1,000,000 documents.

Generated metadata only (no content): offenders (one per 50 documents) with
sentence expiry dates and some dates of death, cases (one per 20 documents)
of the three default types, some closed, and documents of varied types and
dates, inserted in bulk into a database of each size. Evaluation
(retention.evaluate) then runs twice in a child process whose time and peak
RSS are measured: the first run writes every case's dispositions (the rules
that govern its documents and their due dates), the second finds nothing
changed and writes nothing, as the periodic sweep does. The same child then
reads the first three pages of the review queue (50 documents each, their
rules and dates chosen as they are read) and times each.

Targets (from the issue): under 60 s at 1,000,000, and memory that does not
grow with the number of records (the ratio of peak RSS at 1M to 100k is
printed). PASS/FAIL is printed; the exit status is 0 whenever the
measurements were taken. Results also go to bench/results/retention-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo import MongoClient

from server.embedded_db import EmbeddedDatabase

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_SECONDS = 60.0
TARGET_RATIO = 1.5
INSERT_BATCH = 10_000
DOC_TYPES = ("licence", "part_a_recall_report", "oasys_assessment", "psychiatric_report", "other")
CASE_TYPES = ("recall", "parole_review", "mental_health")
EVALUATE = """
import asyncio, json, resource, sys, time
from records.actors import Actor
from records.indexes import ensure_indexes
from records.store import open_store
from retention.evaluate import evaluate
from retention.review import queue
from retention.startup import prepare

MANAGER = Actor(id="bench", username="bench", level="admin", team="hq", records_manager=True)

async def main():
    store = open_store(sys.argv[1], sys.argv[2])
    await ensure_indexes(store)
    await prepare(store)
    started = time.perf_counter()
    done = await evaluate(store)
    seconds = time.perf_counter() - started
    pages, cursor = [], None
    for _ in range(3):
        began = time.perf_counter()
        found = await queue(store, MANAGER, cursor=cursor)
        pages.append(time.perf_counter() - began)
        cursor = found.next_cursor
    await store.close()
    return {"seconds": seconds, "changed": done.changed, "queue_pages": pages}

result = asyncio.run(main())
result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def _day(rng: random.Random, first: int, last: int) -> str:
    return f"{rng.randint(first, last)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"


def generate(client: MongoClient[dict[str, Any]], name: str, documents: int) -> float:
    """The records of one database, inserted in bulk; the seconds it took."""
    rng = random.Random(documents)
    db = client[name]
    started = time.perf_counter()
    offender_ids = [ObjectId() for _ in range(max(1, documents // 50))]
    offenders = []
    for oid in offender_ids:
        record: dict[str, Any] = {
            "_id": oid,
            "family_name": "Bench",
            "given_names": "Record",
            "date_of_birth": _day(rng, 1950, 2000),
            "sentence_expiry_date": _day(rng, 2000, 2030),
        }
        if rng.random() < 0.1:
            record["date_of_death"] = _day(rng, 1995, 2025)
        offenders.append(record)
    db.offenders.insert_many(offenders)

    moment = datetime(2026, 1, 1, tzinfo=UTC)
    case_ids = [ObjectId() for _ in range(max(1, documents // 20))]
    cases = []
    for cid in case_ids:
        ended = rng.random() < 0.5
        case_type = rng.choice(CASE_TYPES)
        record = {
            "_id": cid,
            "offender_id": rng.choice(offender_ids),
            "case_type": case_type,
            "title": "Bench case",
            "team": "ppcs",
            "state": "closed" if ended else "open",
            "ended": ended,
            "state_entered_at": moment - timedelta(days=rng.randint(0, 7000)),
        }
        if case_type == "mental_health" and ended:
            record["state_dates"] = {"absolutely_discharged": _day(rng, 1990, 2025)}
        cases.append(record)
    db.cases.insert_many(cases)

    batch: list[dict[str, Any]] = []
    for number in range(documents):
        batch.append(
            {
                "case_id": case_ids[number % len(case_ids)],
                "title": f"Document {number}",
                "doc_type": rng.choice(DOC_TYPES),
                "protective_marking": "OFFICIAL" if rng.random() < 0.8 else "OFFICIAL-SENSITIVE",
                "document_date": _day(rng, 1995, 2026),
                "metadata": {},
                "versions": [],
                "updated_at": moment - timedelta(days=rng.randint(0, 7000)),
            }
        )
        if len(batch) == INSERT_BATCH:
            db.documents.insert_many(batch, ordered=False)
            batch = []
    if batch:
        db.documents.insert_many(batch, ordered=False)
    return time.perf_counter() - started


def evaluate(uri: str, name: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", EVALUATE, uri, name],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"evaluation failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="100000,1000000", help="document counts, comma-separated"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    measured: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="ppud-bench-retention-") as folder,
        EmbeddedDatabase(Path(folder)) as embedded,
    ):
        client: MongoClient[dict[str, Any]] = MongoClient(embedded.uri, tz_aware=True)
        for size in sizes:
            name = f"bench_{size}"
            inserted = generate(client, name, size)
            first = evaluate(embedded.uri, name)
            second = evaluate(embedded.uri, name)
            measured[str(size)] = {"insert_seconds": inserted, "first": first, "again": second}
            print(
                f"{size:>9,} documents: inserted in {inserted:6.1f} s; "
                f"first evaluation {first['seconds']:6.1f} s ({first['changed']:,} cases written, "
                f"peak {first['peak_mib']:.0f} MiB); again {second['seconds']:6.1f} s "
                f"({second['changed']:,} written, peak {second['peak_mib']:.0f} MiB); "
                f"queue pages {', '.join(f'{t * 1000:.0f}' for t in second['queue_pages'])} ms",
                flush=True,
            )
            client.drop_database(name)
        client.close()

    largest, smallest = measured[str(max(sizes))], measured[str(min(sizes))]
    ratio = largest["first"]["peak_mib"] / smallest["first"]["peak_mib"]
    print(f"peak RSS ratio {max(sizes):,} / {min(sizes):,}: {ratio:.2f}")
    for run, label in (
        ("first", "first evaluation"),
        ("again", "evaluation again, nothing changed"),
    ):
        seconds = largest[run]["seconds"]
        verdict = "PASS" if seconds < TARGET_SECONDS else "FAIL"
        print(
            f"{label} at {max(sizes):,}: {seconds:.1f} s (target {TARGET_SECONDS:.0f} s): {verdict}"
        )
    print(f"memory flat (ratio under {TARGET_RATIO}): {'PASS' if ratio < TARGET_RATIO else 'FAIL'}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    out = RESULTS / f"retention-{stamp}.json"
    out.write_text(json.dumps({"sizes": measured, "rss_ratio": ratio}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
