"""`ppud serve` on an empty database prints the set-up link once, and the link works."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from records import users
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import CLI, PASSWORD

REPOSITORY = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
LINK = re.compile(r"http://127\.0\.0\.1:\d+/setup/[A-Za-z0-9_-]+")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _serving(env: dict[str, str], log: Path) -> Iterator[str]:
    """A real `ppud serve` on env's database until the block ends; where it answers."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*CLI, "serve"],
            env=env | {"PPUD_PORT": str(port)},
            cwd=REPOSITORY,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(server, log, base)
            yield base
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()


def _wait_until_healthy(server: subprocess.Popen[bytes], log: Path, base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve exited early:\n{log.read_text()}"
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"serve did not answer in {START_TIMEOUT:.0f} s:\n{log.read_text()}")


def _environment(tmp_path: Path, store: Store, database_uri: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PPUD_")}
    return inherited | {
        "PPUD_MONGODB_URI": database_uri,
        "PPUD_DATABASE": store.db.name,
        "PPUD_DATA_DIR": str(tmp_path / "data"),
        "PPUD_SEARCH_WORKER": "off",
        "PPUD_LOG_FORMAT": "text",
    }


def test_serve_on_an_empty_database_prints_a_working_link_once(
    tmp_path: Path, store: Store, database_uri: str
) -> None:
    env = _environment(tmp_path, store, database_uri)
    log = tmp_path / "first.log"

    with _serving(env, log) as base:
        [link] = LINK.findall(log.read_text())
        opened = httpx.get(link, timeout=10)

    printed = log.read_text()
    token = link.rsplit("/", 1)[1]
    assert link.startswith(f"{base}/setup/")
    assert opened.status_code == 200
    assert "Create the first administrator" in opened.text
    # Once: the line itself. The log names the event and the request, never the token.
    assert printed.count(token) == 1, printed
    [line] = [line for line in printed.splitlines() if token in line]
    assert line.startswith("No administrator can sign in yet: create one at http://")
    assert line.endswith("(the link works once, for 30 minutes)")
    assert "setup.link_issued" in printed
    assert "GET /setup/[token] 200" in printed

    # Started again on a database still empty: a new link, and the first is dead.
    with _serving(env, tmp_path / "second.log") as base:
        [renewed] = LINK.findall((tmp_path / "second.log").read_text())
        old = httpx.get(f"{base}/setup/{token}", timeout=10)
        new = httpx.get(renewed, timeout=10)

    assert renewed.rsplit("/", 1)[1] != token
    assert old.status_code == 410
    assert "newer set-up link" in old.text
    assert new.status_code == 200


async def test_serve_with_a_user_prints_no_link(
    tmp_path: Path, store: Store, database_uri: str
) -> None:
    await users.create_user(store, SYSTEM, "bob", level="admin", team="ppcs", password=PASSWORD)
    log = tmp_path / "serve.log"

    # The server is a child process: the test's own event loop waits on it in a thread.
    def serve_once() -> None:
        with _serving(_environment(tmp_path, store, database_uri), log):
            pass

    await asyncio.to_thread(serve_once)

    printed = log.read_text()
    assert "PPUD is serving on" in printed
    assert "/setup/" not in printed
    assert "setup.link_issued" not in printed
