"""Running one extraction in a subprocess with a deadline and a memory ceiling.

The ceiling is watched, not set with RLIMIT_AS: Tika's native image reserves
far more address space than it uses and will not start under any address
limit that would also protect the machine (measured: not even 4 GiB). The
watcher reads the child's resident memory (and its children's: Tesseract)
every 50 ms and kills it above the limit.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from search.extract import Extracted

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float = 120.0
    memory_bytes: int = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    extracted: Extracted
    # True when the extractor died or was killed: counted towards "never more than twice".
    crashed: bool = False


def run_isolated(
    data_path: Path, job: dict[str, Any], limits: Limits, *, command: list[str] | None = None
) -> Outcome:
    """Extract data_path's text in a child process; never raises for what the file does."""
    argv = command or [sys.executable, "-m", "search.child"]
    payload = json.dumps({**job, "path": str(data_path), "parent": os.getpid()}).encode("utf-8")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=err)
        assert child.stdin is not None
        try:
            child.stdin.write(payload)
            child.stdin.close()
        except BrokenPipeError:
            pass
        ended = _watch(child, limits)
        if ended is not None:
            return ended
        out.seek(0)
        raw = out.read()
        err.seek(0)
        errors = err.read()[-2000:]

    if child.returncode != 0:
        # Only the size of what it printed: a parser's message may quote the document.
        logger.warning(
            "extract.crash", extra={"status": child.returncode, "stderr_bytes": len(errors)}
        )
        return Outcome(
            Extracted(
                "failed",
                reason=(
                    "the file stopped the text extractor (it may be damaged or built to "
                    f"break it; exit status {child.returncode})"
                ),
            ),
            crashed=True,
        )
    try:
        answer = json.loads(raw.decode("utf-8"))
        return Outcome(Extracted(**answer))
    except (ValueError, TypeError):
        return Outcome(Extracted("failed", reason="the extractor gave no readable answer"), True)


def _watch(child: subprocess.Popen[bytes], limits: Limits) -> Outcome | None:
    """Wait for the child; an Outcome if it had to be killed, None if it ended by itself."""
    deadline = time.monotonic() + limits.timeout_seconds
    watched = psutil.Process(child.pid)
    while child.poll() is None:
        if time.monotonic() > deadline:
            _kill(child)
            return Outcome(
                Extracted(
                    "failed", reason=f"extraction took longer than {limits.timeout_seconds:g} s"
                ),
                crashed=True,
            )
        if _resident(watched) > limits.memory_bytes:
            _kill(child)
            mib = limits.memory_bytes // (1024 * 1024)
            return Outcome(
                Extracted("failed", reason=f"extraction needed more than {mib} MiB of memory"),
                crashed=True,
            )
        time.sleep(POLL_SECONDS)
    return None


def _resident(process: psutil.Process) -> int:
    try:
        family = [process, *process.children(recursive=True)]
        return sum(p.memory_info().rss for p in family)
    except psutil.Error:
        return 0


def _kill(child: subprocess.Popen[bytes]) -> None:
    try:
        for grandchild in psutil.Process(child.pid).children(recursive=True):
            grandchild.kill()
    except psutil.Error:
        pass
    child.kill()
    child.wait()
