"""Transfer benchmark: document bytes through PPUD's HTTP API against GridFS direct.

One run starts its own embedded database and a real `ppud serve` process, then
measures, side by side:

- one 200 MiB file up (POST /api/v1/cases/{id}/documents, multipart, streamed)
  and down (GET /api/v1/documents/{id}/content, streamed, SHA-256 checked),
  and the same bytes through `AsyncGridFSBucket` with the app's chunk size;
- 1,000 small files (4-36 KiB, about 20 KiB on average, three in four binary
  and one in four text) up and down both ways, 8 transfers in flight: a
  handful of caseworkers' browsers, not a load test;
- the server process's resident memory (sampled every 20 ms) while the 200 MiB
  file moves, and while a 1 GiB upload streams through (skip with --no-1g).

Downloads run twice on each route, HTTP, direct, direct, HTTP, and the faster
run of each is reported: a read is quicker for whichever file the database
touched last, and one pair in a fixed order measured that as much as the route.

Targets (from the issue): HTTP at least 50 % of direct GridFS throughput, and
server RSS growth at most 64 MiB for the 200 MiB file; the 1 GiB upload should
also stay within a few tens of MiB. PASS/FAIL is printed, but the exit status
is 0 whenever the measurements were taken: benchmarks inform, tests decide.
Results also go to bench/results/transfer-<date>.json.

Sizes are binary: 1 MiB = 1,048,576 bytes, and throughput is in MiB/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]  # psutil ships no type information
from bson import ObjectId
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient

from records import credentials, users
from records.actors import SYSTEM
from records.indexes import ensure_indexes
from records.store import DEFAULT_CHUNK_SIZE, open_store
from server.embedded_db import EmbeddedDatabase

KIB = 1024
MIB = 1024 * KIB

LARGE_BYTES = 200 * MIB
GIANT_BYTES = 1024 * MIB
SMALL_COUNT = 1000
SMALL_MIN, SMALL_MAX = 4 * KIB, 36 * KIB
CONCURRENCY = 8
# Uploads repeated once the large files are stored, to show what that costs.
AGAIN_COUNT = 25
GIANT_STEP = "1 GiB upload"

# The client hands over the bytes in pieces of one GridFS chunk, on both paths,
# so neither side is favoured by the size of its writes.
BLOCK_BYTES = DEFAULT_CHUNK_SIZE
# Large payloads are cut from a pool of seeded random bytes at seeded offsets:
# deterministic, incompressible, and about 100 times cheaper than generating
# every byte, which matters when the client shares 2 cores with both servers.
POOL_BYTES = 16 * MIB
SEED = 20_261_203

RSS_INTERVAL = 0.02
RATIO_TARGET = 0.5
RSS_TARGET = 64 * MIB

DATABASE = "bench"
TEAM = "Bench team"
USERNAME = "bench.runner"
BOUNDARY = "ppud-bench-9f2c41d7e0b3"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
RESULTS = Path(__file__).resolve().parent / "results"


class BenchError(RuntimeError):
    """The benchmark could not take a measurement (not a missed target)."""


# --- payloads ----------------------------------------------------------------


@dataclass(frozen=True)
class Payload:
    """A deterministic stream of size bytes, produced block by block, never whole."""

    pool: bytes
    size: int
    seed: int

    def blocks(self) -> Iterator[bytes]:
        offsets = random.Random(self.seed)
        sent = 0
        while sent < self.size:
            length = min(BLOCK_BYTES, self.size - sent)
            start = offsets.randrange(len(self.pool) - length)
            yield self.pool[start : start + length]
            sent += length

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for block in self.blocks():
            digest.update(block)
        return digest.hexdigest()


@dataclass(frozen=True)
class SmallFile:
    name: str
    data: bytes
    sha256: str


_WORDS = (
    "recall",
    "licence",
    "offender",
    "parole",
    "review",
    "decision",
    "probation",
    "report",
    "risk",
    "assessment",
    "hearing",
    "dossier",
    "panel",
    "representations",
)


def _text_body(rng: random.Random, size: int) -> bytes:
    words = " ".join(rng.choice(_WORDS) for _ in range(size // 4 + 8))
    lines = "\n".join(words[i : i + 72] for i in range(0, len(words), 72))
    return lines.encode("ascii")[:size]


def small_files(count: int, seed: int) -> list[SmallFile]:
    """Varied sizes and kinds, so sniffing and hashing see more than one shape."""
    rng = random.Random(seed)
    made = []
    for index in range(count):
        size = rng.randint(SMALL_MIN, SMALL_MAX)
        if index % 4 == 3:
            name, data = f"note-{index:04d}.txt", _text_body(rng, size)
        else:
            # A fixed harmless header: random bytes could, by bad luck, start
            # like an executable, which the server rightly refuses.
            name, data = f"scan-{index:04d}.bin", b"PPUD-BENCH\n" + rng.randbytes(size - 11)
        made.append(SmallFile(name, data, hashlib.sha256(data).hexdigest()))
    return made


# --- multipart ---------------------------------------------------------------


def multipart_envelope(title: str, filename: str) -> tuple[bytes, bytes]:
    """The bytes before and after the file part of a documents upload."""
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="title"\r\n\r\n{title}\r\n'
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="doc_type"\r\n\r\nother\r\n'
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    )
    return head.encode("utf-8"), f"\r\n--{BOUNDARY}--\r\n".encode("ascii")


async def _framed(head: bytes, blocks: Iterable[bytes], tail: bytes) -> AsyncIterator[bytes]:
    yield head
    for block in blocks:
        yield block
    yield tail


# --- processes: server, memory and CPU ------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    uri: str, data_dir: Path, port: int, log: Path, **settings: str
) -> subprocess.Popen[bytes]:
    """`ppud serve` in its own process, so its memory and CPU are its own."""
    # Only the settings named here: the caller's own PPUD_* would change what is
    # measured, and the Makefile exports every PPUD_* it lists, unset ones as
    # empty strings, which the server refuses (PPUD_ENV='').
    env = {name: value for name, value in os.environ.items() if not name.startswith("PPUD_")}
    env |= {
        "PPUD_MONGODB_URI": uri,
        "PPUD_DATA_DIR": str(data_dir),
        "PPUD_PORT": str(port),
        "PPUD_LOG_LEVEL": "WARNING",
        "PPUD_DATABASE": DATABASE,
        # The search worker would extract every file moved here, on the same
        # two cores, and the figures would measure Tika as much as transfers.
        "PPUD_SEARCH_WORKER": "off",
    }
    env |= settings
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parents[1],
        )


def wait_until_healthy(server: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"the server exited with status {server.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"the server did not answer /healthz within {START_TIMEOUT:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def log_tail(log: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return "(no server log)"


@dataclass
class MemoryWindow:
    """A process's RSS at the start of a step, its peak during it, and at the end."""

    baseline: int = 0
    peak: int = 0
    end: int = 0

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


@dataclass
class Usage:
    """What each process spent on one step."""

    cpu_seconds: dict[str, float] = field(default_factory=dict)
    memory: dict[str, MemoryWindow] = field(default_factory=dict)


class Meter:
    """CPU time and RSS of each process; RSS sampled by a thread so no peak is missed."""

    def __init__(self, pids: dict[str, int], interval: float = RSS_INTERVAL) -> None:
        self._processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self._interval = interval
        self._lock = threading.Lock()
        self._peaks = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> Meter:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> dict[str, int]:
        taken = {}
        for name, process in self._processes.items():
            with contextlib.suppress(psutil.Error):
                taken[name] = int(process.memory_info().rss)
        with self._lock:
            for name, rss in taken.items():
                self._peaks[name] = max(self._peaks[name], rss)
        return taken

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def _cpu(self) -> dict[str, float]:
        taken = {}
        for name, process in self._processes.items():
            times = process.cpu_times()
            taken[name] = float(times.user + times.system)
        return taken

    @contextlib.contextmanager
    def measure(self) -> Iterator[Usage]:
        usage = Usage()
        with self._lock:
            self._peaks = dict.fromkeys(self._peaks, 0)
        baseline, cpu_before = self._sample(), self._cpu()
        try:
            yield usage
        finally:
            end, cpu_after = self._sample(), self._cpu()
            with self._lock:
                peaks = dict(self._peaks)
            for name in self._processes:
                usage.cpu_seconds[name] = round(cpu_after[name] - cpu_before[name], 2)
                usage.memory[name] = MemoryWindow(
                    baseline.get(name, 0), peaks[name], end.get(name, 0)
                )


# --- measurements ----------------------------------------------------------------


@dataclass
class Transfer:
    step: str
    route: str  # "http" or "direct"
    bytes: int
    files: int
    seconds: float
    usage: Usage
    # Operations the database served (serverStatus opcounters), the requests
    # each route costs it: HTTP adds authentication, permission checks, audit.
    database_ops: int = 0

    @property
    def mib_per_s(self) -> float:
        return self.bytes / MIB / self.seconds if self.seconds else 0.0

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0


async def timed(
    meter: Meter, step: str, route: str, files: int, work: Callable[[], Awaitable[int]]
) -> Transfer:
    with meter.measure() as usage:
        started = time.perf_counter()
        moved = await work()
        seconds = time.perf_counter() - started
    return Transfer(step, route, moved, files, seconds, usage)


async def in_parallel(count: int, concurrency: int, job: Callable[[int], Awaitable[None]]) -> None:
    """Run job(0..count-1) with at most concurrency in flight; the first error stops all."""
    indexes = iter(range(count))

    async def worker() -> None:
        for index in indexes:  # one shared iterator: each index is taken once
            await job(index)

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())


# --- the HTTP route -------------------------------------------------------------


async def http_upload(
    client: httpx.AsyncClient,
    case_id: str,
    filename: str,
    size: int,
    content: bytes | Iterable[bytes],
    sha256: str,
) -> str:
    """File a document; the server's own SHA-256 and size must match what was sent."""
    head, tail = multipart_envelope(f"Bench {filename}", filename)
    body: bytes | AsyncIterator[bytes] = (
        head + content + tail if isinstance(content, bytes) else _framed(head, content, tail)
    )
    # An explicit length stops httpx from switching to chunked encoding, and
    # lets the server refuse an oversized upload before reading it.
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(len(head) + size + len(tail)),
    }
    response = await client.post(
        f"/api/v1/cases/{case_id}/documents", content=body, headers=headers
    )
    if response.status_code != 201:
        raise BenchError(f"upload of {filename}: {response.status_code} {response.text[:300]}")
    document: dict[str, Any] = response.json()
    version = document["versions"][0]
    if version["sha256"] != sha256 or version["size"] != size:
        raise BenchError(f"upload of {filename}: the server stored different bytes")
    return str(document["id"])


async def http_download(client: httpx.AsyncClient, document_id: str) -> tuple[int, str]:
    digest, received = hashlib.sha256(), 0
    async with client.stream("GET", f"/api/v1/documents/{document_id}/content") as response:
        if response.status_code != 200:
            await response.aread()
            raise BenchError(f"download of {document_id}: {response.status_code} {response.text}")
        async for piece in response.aiter_raw():
            digest.update(piece)
            received += len(piece)
    return received, digest.hexdigest()


async def create_case(client: httpx.AsyncClient) -> str:
    offender = await client.post(
        "/api/v1/offenders",
        json={"family_name": "Bench", "given_names": "Marker", "date_of_birth": "1980-01-01"},
    )
    if offender.status_code != 201:
        raise BenchError(f"creating the offender: {offender.status_code} {offender.text}")
    case = await client.post(
        "/api/v1/cases",
        json={
            "offender_id": offender.json()["id"],
            "case_type": "recall",
            "title": "Transfer benchmark",
            "team": TEAM,
        },
    )
    if case.status_code != 201:
        raise BenchError(f"creating the case: {case.status_code} {case.text}")
    return str(case.json()["id"])


async def create_token(uri: str) -> str:
    """A caseworker in TEAM and a bearer token, written straight to the records."""
    store = open_store(uri, DATABASE)
    try:
        await ensure_indexes(store)
        await users.create_user(store, SYSTEM, USERNAME, level="caseworker", team=TEAM)
        return (await credentials.create_token(store, SYSTEM, USERNAME, label="bench")).token
    finally:
        await store.close()


# --- the direct route ---------------------------------------------------------------


async def direct_upload(
    bucket: AsyncGridFSBucket, filename: str, blocks: Iterable[bytes]
) -> ObjectId:
    # With an id chosen here, as FileSink does, so both routes do the same work.
    file_id = ObjectId()
    grid_in = bucket.open_upload_stream_with_id(file_id, filename)
    try:
        for block in blocks:
            await grid_in.write(block)
    except BaseException:
        await grid_in.abort()
        raise
    await grid_in.close()
    return file_id


async def direct_download(bucket: AsyncGridFSBucket, file_id: ObjectId) -> tuple[int, str]:
    # readchunk, as server/content.py sends a version.
    digest, received = hashlib.sha256(), 0
    grid_out = await bucket.open_download_stream(file_id)
    try:
        while chunk := await grid_out.readchunk():
            digest.update(chunk)
            received += len(chunk)
    finally:
        await grid_out.close()
    return received, digest.hexdigest()


# --- the steps ---------------------------------------------------------------------


@dataclass
class Options:
    large_bytes: int
    small_count: int
    concurrency: int
    giant: bool


@dataclass
class Context:
    client: httpx.AsyncClient
    mongo: AsyncMongoClient[dict[str, Any]]
    bucket: AsyncGridFSBucket
    case_id: str
    meter: Meter
    pool: bytes
    options: Options
    transfers: list[Transfer] = field(default_factory=list)
    stored_bytes: int = 0

    async def step(
        self, step: str, route: str, files: int, work: Callable[[], Awaitable[int]]
    ) -> None:
        ops_before = await self.database_ops()
        done = await timed(self.meter, step, route, files, work)
        # Less one: the serverStatus command that counts them.
        done.database_ops = await self.database_ops() - ops_before - 1
        self.transfers.append(done)
        if "upload" in step:
            self.stored_bytes += done.bytes

    async def paired_steps(
        self,
        step: str,
        files: int,
        http_work: Callable[[], Awaitable[int]],
        direct_work: Callable[[], Awaitable[int]],
    ) -> None:
        """Both routes twice, HTTP, direct, direct, HTTP; the faster run of each counts.

        Reads favour whichever file the database touched last, so a single
        HTTP-then-direct pair measures its cache as much as either route.
        """
        runs: dict[str, list[Transfer]] = {"http": [], "direct": []}
        for route in ("http", "direct", "direct", "http"):
            work = http_work if route == "http" else direct_work
            ops_before = await self.database_ops()
            done = await timed(self.meter, step, route, files, work)
            done.database_ops = await self.database_ops() - ops_before - 1
            runs[route].append(done)
        for route in ("http", "direct"):
            self.transfers.append(min(runs[route], key=lambda t: t.seconds))

    async def database_ops(self) -> int:
        status = await self.mongo.admin.command("serverStatus")
        return sum(int(n) for n in status.get("opcounters", {}).values())


def _check(what: str, received: tuple[int, str], size: int, sha256: str) -> int:
    if received != (size, sha256):
        raise BenchError(f"{what}: got {received[0]} bytes with a different SHA-256")
    return size


async def warm_up(ctx: Context) -> None:
    """One small transfer each way on both routes: imports, connections, pools."""
    sample = small_files(1, SEED - 1)[0]
    document_id = await http_upload(
        ctx.client, ctx.case_id, "warm-up.bin", len(sample.data), sample.data, sample.sha256
    )
    await http_download(ctx.client, document_id)
    file_id = await direct_upload(ctx.bucket, "warm-up.bin", [sample.data])
    await direct_download(ctx.bucket, file_id)


async def small_file_steps(
    ctx: Context, files: list[SmallFile], label: str, *, downloads: bool = True
) -> None:
    """Uploads on both routes, the direct one right after its HTTP twin; downloads paired."""
    total, count = sum(len(f.data) for f in files), len(files)
    document_ids = [""] * count
    file_ids = [ObjectId()] * count

    async def http_up_one(i: int) -> None:
        f = files[i]
        document_ids[i] = await http_upload(
            ctx.client, ctx.case_id, f.name, len(f.data), f.data, f.sha256
        )

    async def direct_up_one(i: int) -> None:
        file_ids[i] = await direct_upload(ctx.bucket, files[i].name, [files[i].data])

    async def http_down_one(i: int) -> None:
        f = files[i]
        _check(f.name, await http_download(ctx.client, document_ids[i]), len(f.data), f.sha256)

    async def direct_down_one(i: int) -> None:
        f = files[i]
        _check(f.name, await direct_download(ctx.bucket, file_ids[i]), len(f.data), f.sha256)

    def all_of(job: Callable[[int], Awaitable[None]]) -> Callable[[], Awaitable[int]]:
        async def run_all() -> int:
            await in_parallel(count, ctx.options.concurrency, job)
            return total

        return run_all

    # Uploads once each (a second round would only store more); downloads paired.
    await ctx.step(f"{label} upload", "http", count, all_of(http_up_one))
    await ctx.step(f"{label} upload", "direct", count, all_of(direct_up_one))
    if downloads:
        await ctx.paired_steps(
            f"{label} download", count, all_of(http_down_one), all_of(direct_down_one)
        )


async def large_file_steps(ctx: Context) -> None:
    """The same payload up both routes, then down both, paired as paired_steps says."""
    size = ctx.options.large_bytes
    payload = Payload(ctx.pool, size, SEED)
    sha256 = payload.sha256()
    label = f"large {size // MIB} MiB"
    document_id, file_id = "", ObjectId()

    async def http_up() -> int:
        nonlocal document_id
        document_id = await http_upload(
            ctx.client, ctx.case_id, "large.bin", size, payload.blocks(), sha256
        )
        return size

    async def direct_up() -> int:
        nonlocal file_id
        file_id = await direct_upload(ctx.bucket, "large.bin", payload.blocks())
        return size

    async def http_down() -> int:
        return _check("HTTP download", await http_download(ctx.client, document_id), size, sha256)

    async def direct_down() -> int:
        return _check("direct download", await direct_download(ctx.bucket, file_id), size, sha256)

    await ctx.step(f"{label} upload", "http", 1, http_up)
    await ctx.step(f"{label} upload", "direct", 1, direct_up)
    await ctx.paired_steps(f"{label} download", 1, http_down, direct_down)


async def giant_upload_step(ctx: Context) -> None:
    """1 GiB through HTTP only: the question is memory, not a second throughput ratio."""
    payload = Payload(ctx.pool, GIANT_BYTES, SEED + 2)
    sha256 = payload.sha256()

    async def http_up() -> int:
        await http_upload(
            ctx.client, ctx.case_id, "giant.bin", GIANT_BYTES, payload.blocks(), sha256
        )
        return GIANT_BYTES

    await ctx.step(GIANT_STEP, "http", 1, http_up)


async def run_steps(uri: str, base_url: str, pids: dict[str, int], options: Options) -> Context:
    token = await create_token(uri)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    # No timeout: a 1 GiB upload on a busy 2-core machine can take minutes.
    client = httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(None),
        limits=httpx.Limits(max_connections=options.concurrency),
    )
    try:
        with Meter(
            {"server": pids["server"], "database": pids["database"], "bench": os.getpid()}
        ) as meter:
            ctx = Context(
                client=client,
                mongo=mongo,
                bucket=AsyncGridFSBucket(mongo[DATABASE], chunk_size_bytes=DEFAULT_CHUNK_SIZE),
                case_id=await create_case(client),
                meter=meter,
                pool=random.Random(SEED).randbytes(POOL_BYTES),
                options=options,
            )
            await warm_up(ctx)
            # Small files first, while the database holds little: each GridFS
            # upload costs the embedded database a scan of everything already
            # stored (see the report), which would swamp the HTTP overhead.
            small = small_files(options.small_count, SEED + 1)
            await small_file_steps(ctx, small, f"{len(small)} small files")
            await large_file_steps(ctx)
            # ... and then that cost made visible: the same kind of upload again.
            again = small_files(min(AGAIN_COUNT, options.small_count), SEED + 3)
            label = f"{len(again)} small, {ctx.stored_bytes // MIB} MiB stored"
            await small_file_steps(ctx, again, label, downloads=False)
            if options.giant:
                await giant_upload_step(ctx)
    finally:
        await client.aclose()
        await mongo.close()
    return ctx


# --- the report ---------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _mib(value: int) -> str:
    return f"{value / MIB:.1f} MiB"


def throughput_rows(transfers: list[Transfer]) -> list[dict[str, Any]]:
    """One row per step: both routes' figures, their ratio and its verdict."""
    by_step: dict[str, dict[str, Transfer]] = {}
    for transfer in transfers:
        by_step.setdefault(transfer.step, {})[transfer.route] = transfer
    rows = []
    for step, routes in by_step.items():
        http, direct = routes.get("http"), routes.get("direct")
        ratio = http.mib_per_s / direct.mib_per_s if http and direct and direct.mib_per_s else None
        rows.append(
            {
                "step": step,
                "files": next(iter(routes.values())).files,
                "http_mib_s": round(http.mib_per_s, 1) if http else None,
                "direct_mib_s": round(direct.mib_per_s, 1) if direct else None,
                "http_files_s": round(http.files_per_s, 1) if http else None,
                "direct_files_s": round(direct.files_per_s, 1) if direct else None,
                "http_over_direct": round(ratio, 3) if ratio is not None else None,
                "pass": ratio >= RATIO_TARGET if ratio is not None else None,
            }
        )
    return rows


def memory_rows(transfers: list[Transfer], large_bytes: int) -> list[dict[str, Any]]:
    """Server RSS for the steps with a memory target: the large file and the 1 GiB upload."""
    watched = (f"large {large_bytes // MIB} MiB upload", f"large {large_bytes // MIB} MiB download")
    rows = []
    for t in transfers:
        if t.route != "http" or t.step not in (*watched, GIANT_STEP):
            continue
        server, database = t.usage.memory["server"], t.usage.memory["database"]
        rows.append(
            {
                "step": t.step,
                "server": asdict(server),
                "server_growth": server.growth,
                "database_peak": database.peak,
                "pass": server.growth <= RSS_TARGET,
            }
        )
    return rows


def print_report(ctx: Context) -> None:
    options = ctx.options
    print()
    print(
        f"PPUD transfer benchmark: GridFS chunk {DEFAULT_CHUNK_SIZE // KIB} KiB, client blocks "
        f"{BLOCK_BYTES // KIB} KiB, small files at concurrency {options.concurrency}, "
        f"{os.cpu_count()} CPUs"
    )
    print()
    header = (
        f"{'step':<34}{'HTTP MiB/s':>11}{'direct MiB/s':>14}"
        f"{'HTTP files/s':>14}{'direct files/s':>16}{'HTTP/direct':>13}  target"
    )
    print(header)
    print("-" * (len(header) + 14))
    for row in throughput_rows(ctx.transfers):
        ratio, verdict = row["http_over_direct"], row["pass"]
        files = row["files"] > 1
        print(
            f"{row['step']:<34}{_num(row['http_mib_s']):>11}{_num(row['direct_mib_s']):>14}"
            f"{_num(row['http_files_s'] if files else None):>14}"
            f"{_num(row['direct_files_s'] if files else None):>16}"
            f"{(f'{ratio:.0%}' if ratio is not None else '-'):>13}"
            f"  {f'>= {RATIO_TARGET:.0%} {_verdict(verdict)}' if verdict is not None else '-'}"
        )

    print()
    header = (
        f"{'server RSS (HTTP steps)':<34}{'baseline':>12}{'peak':>12}{'end':>12}"
        f"{'growth':>12}  {'target':<20}{'database peak':>14}"
    )
    print(header)
    print("-" * len(header))
    for row in memory_rows(ctx.transfers, options.large_bytes):
        server, target = row["server"], f"<= {RSS_TARGET // MIB} MiB {_verdict(row['pass'])}"
        print(
            f"{row['step']:<34}{_mib(server['baseline']):>12}{_mib(server['peak']):>12}"
            f"{_mib(server['end']):>12}{_mib(row['server_growth']):>12}"
            f"  {target:<20}"
            f"{_mib(row['database_peak']):>14}"
        )

    print()
    names = ("server", "database", "bench")
    header = (
        f"{'CPU seconds per step':<34}{'route':>7}{'wall':>8}"
        + "".join(f"{n:>10}" for n in names)
        + f"{'db ops/file':>13}"
    )
    print(header)
    print("-" * len(header))
    for t in ctx.transfers:
        used = "".join(f"{t.usage.cpu_seconds.get(n, 0.0):>10.2f}" for n in names)
        per_file = t.database_ops / t.files if t.files else 0.0
        print(f"{t.step:<34}{t.route:>7}{t.seconds:>8.2f}{used}{per_file:>13.1f}")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def write_json(ctx: Context) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    target = RESULTS / f"transfer-{now:%Y%m%d-%H%M%S}.json"
    document = {
        "at": now.isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "options": {
            **asdict(ctx.options),
            "chunk_size": DEFAULT_CHUNK_SIZE,
            "client_block": BLOCK_BYTES,
        },
        "targets": {"http_over_direct_min": RATIO_TARGET, "server_rss_growth_max": RSS_TARGET},
        "transfers": [
            {
                **asdict(t),
                "mib_per_s": round(t.mib_per_s, 2),
                "files_per_s": round(t.files_per_s, 1),
            }
            for t in ctx.transfers
        ],
        "throughput": throughput_rows(ctx.transfers),
        "memory": memory_rows(ctx.transfers, ctx.options.large_bytes),
    }
    target.write_text(json.dumps(document, indent=2) + "\n")
    return target


# --- running it ------------------------------------------------------------------------


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="bench.transfer", description=__doc__.split("\n")[0])
    parser.add_argument("--no-1g", action="store_true", help="skip the 1 GiB upload")
    parser.add_argument("--large-mib", type=int, default=LARGE_BYTES // MIB)
    parser.add_argument("--small-files", type=int, default=SMALL_COUNT)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args(argv)
    return Options(
        large_bytes=args.large_mib * MIB,
        small_count=args.small_files,
        concurrency=args.concurrency,
        giant=not args.no_1g,
    )


def measure(home: Path, options: Options) -> Context:
    """Database, then server, then the steps; each stopped even when a step fails."""
    with EmbeddedDatabase(home) as database:
        endpoint = json.loads((database.home / "endpoint.json").read_text())
        port, log = free_port(), home / "server.log"
        server = start_server(database.uri, home, port, log)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(server, base_url)
            pids = {"server": server.pid, "database": int(endpoint["pid"])}
            return asyncio.run(run_steps(database.uri, base_url, pids, options))
        except BaseException:
            print(f"--- last lines of the server log ---\n{log_tail(log)}", file=sys.stderr)
            raise
        finally:
            stop_server(server)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    with tempfile.TemporaryDirectory(prefix="ppud-bench-", ignore_cleanup_errors=True) as tmp:
        try:
            done = measure(Path(tmp), options)
        except BenchError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
    print_report(done)
    print(f"\nresults written to {write_json(done)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
