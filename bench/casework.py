"""Casework benchmark: the demo set at scale, and the pages a caseworker finds people with.

One run:

- starts an embedded database and files the demo casework for 10,000
  offenders (`ppud demo load --offenders 10000 --documents-for 0`, through
  demo.Loader: every offender, case, user and audit event through the
  records layer, no files), timing it;
- starts a real `ppud serve` over it and signs a caseworker of the recall
  team in through POST /api/v1/session, as the pages' cookie session;
- asks each page in PAGES 200 times one after another (the offender search
  by family name and by NOMS number, an offender's page, a recall case's
  page), and prints p50 and p95 against the pages' target: p95 under 150 ms.

Results also go to bench/results/casework-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

import demo
from bench.pages import PASSWORD, TARGET_P95_MS, USERNAME, signed_in
from bench.search import percentile
from bench.transfer import DATABASE, free_port, start_server, stop_server, wait_until_healthy
from demo.plan import TEAMS, offender_plans
from dossier_builder import templates as dossier_templates
from records import users
from records.actors import SYSTEM
from records.indexes import ensure_indexes
from records.store import open_store
from server.embedded_db import EmbeddedDatabase

OFFENDERS = 10_000
REQUESTS = 200
TEAM = TEAMS["recall"]
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Loaded:
    summary: demo.LoadSummary
    seconds: float
    # Addresses for each timed page, asked in turn.
    addresses: dict[str, list[str]]
    shows: dict[str, str]


async def load(uri: str, home: Path, count: int, documents_for: int) -> tuple[Loaded, str]:
    """The demo set, timed, and the pages to ask; the caseworker's TOTP secret."""
    store = open_store(uri, DATABASE)
    try:
        await ensure_indexes(store)
        await dossier_templates.seed(store)
        started = time.perf_counter()
        loader = demo.Loader(
            store, seed=demo.DEFAULT_SEED, scratch=home / "scratch", cache=home / "cache"
        )
        summary = await loader.load(count, documents_for=documents_for)
        seconds = time.perf_counter() - started
        made = await users.create_user(
            store, SYSTEM, USERNAME, level="caseworker", team=TEAM, password=PASSWORD
        )
        assert made.totp_secret is not None
        recall_cases = [
            case async for case in store.db["cases"].find({"team": TEAM}, {"offender_id": 1})
        ]
    finally:
        await store.close()

    rng = random.Random(demo.DEFAULT_SEED)
    people = [plan.person for plan in offender_plans(demo.DEFAULT_SEED, count)]
    picked = [rng.choice(recall_cases) for _ in range(REQUESTS)]
    addresses = {
        "offender search, family name": [
            "/offenders?" + urlencode({"q": rng.choice(people).family_name})
            for _ in range(REQUESTS)
        ],
        "offender search, NOMS number": [
            "/offenders?" + urlencode({"q": rng.choice(people).nomis_number})
            for _ in range(REQUESTS)
        ],
        "offender page": [f"/offenders/{case['offender_id']}" for case in picked],
        "case page": [f"/cases/{case['_id']}" for case in picked],
    }
    shows = {
        "offender search, family name": 'data-testid="offender-results"',
        "offender search, NOMS number": 'data-testid="offender-results"',
        "offender page": 'data-testid="offender-cases"',
        "case page": 'data-testid="case-summary"',
    }
    return Loaded(summary, seconds, addresses, shows), made.totp_secret


def time_page(client: httpx.Client, addresses: list[str], shows: str, count: int) -> list[float]:
    """Milliseconds for each of count requests, cycling through addresses."""
    probe = client.get(addresses[0])
    if probe.status_code != 200 or shows not in probe.text:
        raise RuntimeError(f"{addresses[0]}: {probe.status_code}, without {shows!r}")
    took = []
    for n in range(count):
        started = time.perf_counter()
        answer = client.get(addresses[n % len(addresses)])
        took.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"{addresses[n % len(addresses)]}: {answer.status_code}")
    return took


def measure(home: Path, count: int, documents_for: int, request_count: int) -> dict[str, Any]:
    with EmbeddedDatabase(home / "database") as database:
        loaded, secret = asyncio.run(load(database.uri, home, count, documents_for))
        made = loaded.summary.created
        print(
            f"loaded {made['offenders']:,} offenders and {made['cases']:,} cases "
            f"({made['documents']:,} documents) in {loaded.seconds:.1f} s"
        )
        port = free_port()
        server = start_server(database.uri, home, port, home / "server.log")
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(server, base_url)
            client = signed_in(base_url, secret)
            try:
                # Warm up: imports, templates, the database's caches.
                for address in next(iter(loaded.addresses.values()))[:20]:
                    client.get(address)
                timings = {
                    name: time_page(client, addresses, loaded.shows[name], request_count)
                    for name, addresses in loaded.addresses.items()
                }
            finally:
                client.close()
        finally:
            stop_server(server)
    return {"loaded": loaded, "timings": timings}


def report(found: dict[str, Any]) -> dict[str, Any]:
    loaded: Loaded = found["loaded"]
    made = loaded.summary.created
    figures: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "offenders": made["offenders"],
        "cases": made["cases"],
        "documents": made["documents"],
        "load_seconds": round(loaded.seconds, 1),
        "offenders_per_second": round(made["offenders"] / loaded.seconds, 1),
        "pages": {},
    }
    print(
        f"\nPPUD casework benchmark: {made['offenders']:,} demo offenders "
        f"({figures['offenders_per_second']} a second loaded), {figures['machine']}\n"
    )
    print(
        f"{'page':34} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}   "
        f"target p95 < {TARGET_P95_MS:.0f} ms"
    )
    for name, took in found["timings"].items():
        p50, p95 = statistics.median(took), percentile(took, 0.95)
        verdict = "PASS" if p95 < TARGET_P95_MS else "FAIL"
        print(f"{name:34} {len(took):8} {p50:8.1f} {p95:8.1f}   {verdict}")
        figures["pages"][name] = {
            "requests": len(took),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.casework", description=__doc__.split("\n")[0])
    parser.add_argument("--offenders", type=int, default=OFFENDERS)
    parser.add_argument("--documents-for", type=int, default=0)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ppud-bench-casework-") as folder:
        found = measure(Path(folder), args.offenders, args.documents_for, args.requests)
        figures = report(found)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"casework-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    target.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nresults written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
