"""`ppud serve`'s search worker: a child process, restarted if it dies."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from types import TracebackType

logger = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 2.0
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 600.0
STOP_TIMEOUT_SECONDS = 15.0


class WorkerProcess:
    """Runs `ppud worker` against the given database until the context ends."""

    def __init__(self, database_uri: str) -> None:
        self._env = {**os.environ, "PPUD_MONGODB_URI": database_uri}
        self._child: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="search-worker", daemon=True)

    def __enter__(self) -> WorkerProcess:
        self._child = self._start()
        self._watcher.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stopping.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "server.cli", "worker"], env=self._env)

    def _watch(self) -> None:
        restarts: list[float] = []
        while not self._stopping.is_set():
            child = self._child
            if child is None or child.poll() is None:
                self._stopping.wait(0.5)
                continue
            if self._stopping.is_set():
                return
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < RESTART_WINDOW_SECONDS]
            if len(restarts) >= MAX_RESTARTS:
                logger.error("search.worker.gave_up", extra={"restarts": len(restarts)})
                return
            logger.warning("search.worker.died", extra={"status": child.returncode})
            self._stopping.wait(RESTART_DELAY_SECONDS)
            if not self._stopping.is_set():
                restarts.append(now)
                self._child = self._start()
