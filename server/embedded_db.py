"""The embedded database: SecantusDB in a child process, its data under PPUD_DATA_DIR.

SecantusDB is GPL-2.0 and runs its own interpreter, so we launch it as a
separate program and talk to it over the MongoDB wire protocol. One process
owns it at a time (a lock file); an admin command run while the server is up
finds the running database through the endpoint file instead of starting a
second one on the same files.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from pymongo import MongoClient
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
# A database that dies is started again on the same files and port, so the
# app's connection pool finds it; dying this often means something is wrong.
MAX_RESTARTS = 3
RESTART_WINDOW = 600.0
# Retryable writes make SecantusDB 0.7 keep and scan a record per write; off,
# inserts stay flat at about 1 ms (measured, see stack.md).
URI_OPTIONS = "directConnection=true&retryWrites=false"
_LAUNCH = "import sys; from secantus.cli import main; sys.exit(main())"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded database could not be started or reached."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG: if the server is killed outright, the database gets
    # SIGTERM instead of living on with its files locked.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def answers(uri: str, timeout: float = 1.0) -> bool:
    client: MongoClient[dict[str, object]] = MongoClient(
        uri, serverSelectionTimeoutMS=int(timeout * 1000)
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


class EmbeddedDatabase:
    """Start, or attach to, the embedded database for one data directory."""

    def __init__(self, data_dir: Path, *, port: int = 0, memory: bool = False) -> None:
        self.home = data_dir.resolve() / "db"
        self._port = port
        self._memory = memory
        self._lock_file: IO[str] | None = None
        self._serving_port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self.uri = ""

    @property
    def owned(self) -> bool:
        """True when this object started the database (and will stop it)."""
        return self._process is not None

    def __enter__(self) -> EmbeddedDatabase:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> str:
        self.home.mkdir(parents=True, exist_ok=True)
        self._lock_file = (self.home / "launcher.lock").open("w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.uri = self._attach()
            return self.uri
        self.uri = self._launch()
        return self.uri

    def _attach(self) -> str:
        """Another process owns the database: use the address it published."""
        deadline = time.monotonic() + START_TIMEOUT
        endpoint = self.home / "endpoint.json"
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError, KeyError):
                uri = str(json.loads(endpoint.read_text())["uri"])
                if answers(uri):
                    return uri
            time.sleep(0.2)
        raise EmbeddedDatabaseError(
            f"another process holds {self.home} but its database does not answer"
        )

    def supervise(self) -> None:
        """Restart the database if it dies; past MAX_RESTARTS, stop this server too."""
        if self._process is None or self._watcher is not None:
            return
        self._watcher = threading.Thread(target=self._watch, name="embedded-db", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        # This thread also launches any replacement, and PR_SET_PDEATHSIG ties
        # a child to the thread that started it: so it never returns while the
        # database should run.
        restarts: list[float] = []
        while True:
            assert self._process is not None
            status = self._process.wait()
            if self._stopping.is_set():
                return
            now = time.monotonic()
            restarts = [at for at in restarts if now - at < RESTART_WINDOW] + [now]
            if len(restarts) > MAX_RESTARTS:
                logger.critical(
                    "embedded database keeps dying; stopping the server",
                    extra={"status": status, "log": str(self.home / "secantusd.log")},
                )
                os.kill(os.getpid(), signal.SIGTERM)
                return
            logger.error("embedded database exited; starting it again", extra={"status": status})
            try:
                self._launch(port=self._serving_port)
            except EmbeddedDatabaseError:
                logger.critical("embedded database could not be restarted; stopping the server")
                os.kill(os.getpid(), signal.SIGTERM)
                return

    def _launch(self, *, port: int | None = None) -> str:
        port = port or self._port or _free_port()
        self._serving_port = port
        storage = ":memory:" if self._memory else str(self.home / "data")
        if self._log is not None:
            self._log.close()  # a restart appends to the same log
        self._log = (self.home / "secantusd.log").open("ab")
        command = [
            sys.executable,
            "-c",
            _LAUNCH,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            storage,
            "--log-level",
            "WARNING",
        ]
        self._process = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            # Out of the terminal's process group: Ctrl-C or a SIGTERM to the group
            # reaches the server, which stops the database itself once it has shut
            # down, instead of the supervisor seeing it die and starting it again.
            start_new_session=True,
            cwd=self.home,
        )
        uri = f"mongodb://127.0.0.1:{port}/?{URI_OPTIONS}"
        self._wait_until_ready(uri)
        (self.home / "endpoint.json").write_text(json.dumps({"uri": uri, "pid": self._process.pid}))
        logger.info("embedded database started", extra={"port": port, "pid": self._process.pid})
        return uri

    def _wait_until_ready(self, uri: str) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedDatabaseError(
                    f"the embedded database exited with status {self._process.returncode}; "
                    f"see {self.home / 'secantusd.log'}"
                )
            if answers(uri, timeout=0.5):
                return
            time.sleep(0.1)
        self.stop()
        raise EmbeddedDatabaseError(
            f"the embedded database did not answer in {START_TIMEOUT:.0f} s"
        )

    def stop(self) -> None:
        self._stopping.set()
        if self._process is not None:
            with contextlib.suppress(OSError):
                (self.home / "endpoint.json").unlink()
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                logger.warning("embedded database ignored SIGTERM; killing it")
                self._process.kill()
                self._process.wait()
            logger.info("embedded database stopped")
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases the flock
            self._lock_file = None
