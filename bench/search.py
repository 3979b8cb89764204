"""Search benchmark: indexing speed, and query latency through the API against raw Tantivy.

One run:

- generates 20,000 documents of about 1,500 words (a fixed vocabulary with a
  Zipf-like spread, casework words among them) and indexes them with the
  index the worker uses (search/index.py), timing it and measuring its size;
- starts an embedded database and a real `ppud serve` over that index, with
  a caseworker who may see every generated document;
- runs 500 mixed queries (words, pairs, phrases, OR, NOT, prefixes, a type
  filter, a date range) one at a time through GET /api/v1/search and, in the
  same run, the same queries straight through Tantivy's searcher, compiled
  from the same query tree, with the same team filter, top 20 and a count,
  fetching the hits' stored fields and cutting their snippets with Tantivy's
  own snippet generator: the same answer the API gives. The bare search
  (hits and count, no snippets) is printed too.

Targets (from the issue): p95 under 50 ms through the API and at most 3x the
raw engine's p95; indexing at least 500 documents per second. PASS/FAIL is
printed; the exit status is 0 whenever the measurements were taken.
Results also go to bench/results/search-<date>.json.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import tantivy

from bench.transfer import (
    TEAM,
    create_token,
    free_port,
    start_server,
    stop_server,
    wait_until_healthy,
)
from search import query as q
from search.index import (
    SCHEMA,
    SNIPPET_CHARS,
    Entry,
    Scope,
    Search,
    TantivyIndex,
    compile_search,
    snippet_query,
)
from server.embedded_db import EmbeddedDatabase

SEED = 20_261_204
DOCUMENTS = 20_000
WORDS_PER_DOCUMENT = 1_500
QUERIES = 500
VOCABULARY = 6_000
DOC_TYPES = ("psychiatric_report", "licence", "oasys_assessment", "police_report", "other")
CASEWORK = [
    "licence",
    "recall",
    "breach",
    "probation",
    "offender",
    "parole",
    "board",
    "risk",
    "harm",
    "assessment",
    "psychiatric",
    "hostel",
    "curfew",
    "victim",
    "contact",
    "exclusion",
    "zone",
    "sentence",
    "custody",
    "release",
    "hearing",
    "dossier",
    "report",
    "officer",
    "manager",
    "tribunal",
    "restricted",
    "patient",
    "supervision",
    "conditions",
    "review",
]
RESULTS = Path(__file__).resolve().parent / "results"
TARGET_P95_MS = 50.0
TARGET_RATIO = 3.0
TARGET_DOCS_PER_S = 500.0


def vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    made = {
        "".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(VOCABULARY)
    }
    return CASEWORK + sorted(made)


def documents(count: int, seed: int) -> list[Entry]:
    rng = random.Random(seed)
    words = vocabulary(rng)
    # Zipf-like: the first words (casework first) come up far more often.
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    start = datetime(2015, 1, 1, tzinfo=UTC)
    made = []
    for number in range(count):
        body = rng.choices(words, weights, k=WORDS_PER_DOCUMENT)
        made.append(
            Entry(
                document_id=f"{number:024x}",
                version=1,
                current=True,
                case_id=f"{number // 10:024x}",
                offender_id=f"{number // 20:024x}",
                team=TEAM,
                doc_type=DOC_TYPES[number % len(DOC_TYPES)],
                marking="official-sensitive",
                shared=False,
                date=start + timedelta(days=number % 3650),
                title=" ".join(rng.choices(words[:200], k=4)),
                filename=f"document-{number}.pdf",
                text=" ".join(body),
            )
        )
    return made


def queries(entries: list[Entry], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = vocabulary(random.Random(SEED))
    common, rare = words[:60], words[60:]
    made = []
    for i in range(count):
        kind = i % 9
        body = rng.choice(entries).text.split()
        at = rng.randrange(len(body) - 3)
        if kind == 0:
            made.append(rng.choice(common))
        elif kind == 1:
            made.append(rng.choice(rare))
        elif kind == 2:
            made.append(f"{rng.choice(common)} {rng.choice(rare)}")
        elif kind == 3:
            made.append(f'"{body[at]} {body[at + 1]}"')
        elif kind == 4:
            made.append(f'"{body[at]} {body[at + 1]} {body[at + 2]}"')
        elif kind == 5:
            made.append(f"{rng.choice(rare)} OR {rng.choice(rare)}")
        elif kind == 6:
            made.append(f"{rng.choice(common)} NOT {rng.choice(common)}")
        elif kind == 7:
            made.append(f"{rng.choice(rare)[:3]}*")
        else:
            year = rng.randint(2015, 2024)
            made.append(
                f"{rng.choice(common)} type:{rng.choice(DOC_TYPES)} date:{year}-01-01..{year}-12-31"
            )
    return made


@dataclass
class Indexed:
    seconds: float
    documents: int
    bytes: int


def build_index(root: Path, entries: list[Entry]) -> Indexed:
    index = TantivyIndex(root, writer=True)
    started = time.perf_counter()
    for entry in entries:
        index.replace_document(entry.document_id, [entry])
    index.commit()
    seconds = time.perf_counter() - started
    index.close()
    size = sum(p.stat().st_size for p in index.folder.rglob("*") if p.is_file())
    return Indexed(seconds, len(entries), size)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def raw_latencies(root: Path, texts: list[str], *, snippets: bool) -> list[float]:
    """The same searches straight through Tantivy: the same query, filter, top 20 and count.

    With snippets, also what the API's answer holds: each hit's stored fields
    and a highlighted snippet, cut by Tantivy's own snippet generator.
    """
    index = TantivyIndex(root, writer=False)
    searcher = index._fresh_searcher()
    compiled = []
    for text in texts:
        tree = q.parse(text)
        wanted = Search(tree, Scope(teams=(TEAM,)), limit=20)
        compiled.append((compile_search(wanted), snippet_query(tree)))
    took = []
    for query, for_snippets in compiled:
        started = time.perf_counter()
        found = searcher.search(query, 20, count=True)
        hits = [searcher.doc(address) for _, address in found.hits]
        if snippets:
            cutter = tantivy.SnippetGenerator.create(searcher, for_snippets, SCHEMA, "preview")
            cutter.set_max_num_chars(SNIPPET_CHARS)
            for doc in hits:
                cutter.snippet_from_doc(doc).to_html()
        took.append((time.perf_counter() - started) * 1000)
    return took


def http_latencies(base_url: str, token: str, texts: list[str]) -> tuple[list[float], int]:
    took, hits = [], 0
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        for text in texts:
            started = time.perf_counter()
            response = client.get("/api/v1/search", params={"q": text})
            took.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"search {text!r}: {response.status_code} {response.text}")
            hits += int(response.json()["total"])
    return took, hits


def measure(home: Path, count: int, query_count: int) -> dict[str, Any]:
    entries = documents(count, SEED)
    texts = queries(entries, query_count, SEED + 1)
    root = home / "search"
    indexed = build_index(root, entries)
    del entries

    with EmbeddedDatabase(home / "database") as database:
        port, log = free_port(), home / "server.log"
        server = start_server(database.uri, home, port, log)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(server, base_url)
            token = asyncio.run(create_token(database.uri))
            # Warm both routes once: imports, connections, the reader's caches.
            http_latencies(base_url, token, texts[:20])
            raw_latencies(root, texts[:20], snippets=True)
            # Interleaved halves (HTTP, raw, raw, HTTP) so neither route gets
            # the warmer machine throughout.
            half = len(texts) // 2
            http_a, hits = http_latencies(base_url, token, texts[:half])
            raw = raw_latencies(root, texts[:half], snippets=True)
            bare = raw_latencies(root, texts[:half], snippets=False)
            bare += raw_latencies(root, texts[half:], snippets=False)
            raw += raw_latencies(root, texts[half:], snippets=True)
            http_b, more = http_latencies(base_url, token, texts[half:])
        finally:
            stop_server(server)
    http = http_a + http_b
    return {
        "indexed": indexed,
        "http": http,
        "raw": raw,
        "bare": bare,
        "hits": hits + more,
        "queries": len(texts),
    }


def report(found: dict[str, Any]) -> dict[str, Any]:
    indexed: Indexed = found["indexed"]
    http, raw, bare = found["http"], found["raw"], found["bare"]
    rate = indexed.documents / indexed.seconds
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "documents": indexed.documents,
        "index_seconds": round(indexed.seconds, 2),
        "index_docs_per_s": round(rate, 1),
        "index_mib": round(indexed.bytes / 2**20, 1),
        "queries": found["queries"],
        "average_total": round(found["hits"] / found["queries"], 1),
        "http_p50_ms": round(statistics.median(http), 2),
        "http_p95_ms": round(percentile(http, 0.95), 2),
        "raw_p50_ms": round(statistics.median(raw), 2),
        "raw_p95_ms": round(percentile(raw, 0.95), 2),
        "bare_p50_ms": round(statistics.median(bare), 2),
        "bare_p95_ms": round(percentile(bare, 0.95), 2),
    }
    figures["p95_ratio"] = round(figures["http_p95_ms"] / max(figures["raw_p95_ms"], 1e-6), 2)
    figures["p95_ratio_bare"] = round(figures["http_p95_ms"] / max(figures["bare_p95_ms"], 1e-6), 2)

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print(f"\nPPUD search benchmark: {figures['documents']} documents, {figures['machine']}\n")
    print(
        f"indexing   {figures['index_seconds']:.1f} s, {figures['index_docs_per_s']:.0f} docs/s, "
        f"index {figures['index_mib']:.0f} MiB   target >= {TARGET_DOCS_PER_S:.0f} docs/s "
        f"{verdict(rate >= TARGET_DOCS_PER_S)}"
    )
    print(f"{figures['queries']} queries, {figures['average_total']} matches on average")
    print(f"{'':10} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'HTTP API':10} {figures['http_p50_ms']:8.2f} {figures['http_p95_ms']:8.2f}")
    print(
        f"{'Tantivy':10} {figures['raw_p50_ms']:8.2f} {figures['raw_p95_ms']:8.2f}"
        "   the same answer: hits, count, snippets"
    )
    print(
        f"{'(bare)':10} {figures['bare_p50_ms']:8.2f} {figures['bare_p95_ms']:8.2f}"
        "   hits and count only, no snippets"
    )
    print(
        f"HTTP p95 {figures['http_p95_ms']:.1f} ms (target < {TARGET_P95_MS:.0f}) "
        f"{verdict(figures['http_p95_ms'] < TARGET_P95_MS)}; "
        f"p95 ratio {figures['p95_ratio']:.2f}x (target <= {TARGET_RATIO:.0f}x) "
        f"{verdict(figures['p95_ratio'] <= TARGET_RATIO)}; "
        f"against the bare search {figures['p95_ratio_bare']:.2f}x"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.search", description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=DOCUMENTS)
    parser.add_argument("--queries", type=int, default=QUERIES)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ppud-bench-search-") as folder:
        figures = report(measure(Path(folder), args.documents, args.queries))
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"search-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    target.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nresults written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
