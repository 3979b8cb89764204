"""`ppud serve` runs the search worker; killed, it is restarted and picks up where it was."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.conftest import CORPUS
from tests.server.test_cli import (
    CLI,
    REPOSITORY,
    STOP_TIMEOUT,
    create_user,
    environment,
    free_port,
    only_json_object,
    ppud,
    wait_until_healthy,
)

FOUND_TIMEOUT = 90.0


def worker_of(server: subprocess.Popen[bytes]) -> psutil.Process:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for child in psutil.Process(server.pid).children(recursive=True):
            if "worker" in child.cmdline():
                return child
        time.sleep(0.2)
    raise AssertionError("serve started no search worker")


def wait_for_hits(api: httpx.Client, q: str, total: int) -> dict[str, Any]:
    deadline = time.monotonic() + FOUND_TIMEOUT
    while time.monotonic() < deadline:
        found = api.get("/search", params={"q": q})
        assert found.status_code == 200, found.text
        if found.json()["total"] == total:
            return dict(found.json())
        time.sleep(0.3)
    raise AssertionError(f"{q!r} never reached {total} hit(s): {found.json()}")


def file_into(api: httpx.Client, case_id: str, name: str) -> str:
    path = CORPUS / name
    response = api.post(
        f"/cases/{case_id}/documents",
        data={"title": path.stem, "doc_type": "other"},
        files={"file": (path.name, path.read_bytes(), "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def exercise(api: httpx.Client, server: subprocess.Popen[bytes], data_dir: Path) -> psutil.Process:
    """File, search, kill the worker, check and rebuild; the first worker, for the end."""
    offender = api.post(
        "/offenders",
        json={
            "family_name": "Worker",
            "given_names": "Test",
            "date_of_birth": "1990-01-01",
        },
    ).json()
    case = api.post(
        "/cases",
        json={
            "offender_id": offender["id"],
            "case_type": "recall",
            "title": "t",
            "team": "t",
        },
    ).json()

    file_into(api, case["id"], "office/testPDF.pdf")
    wait_for_hits(api, "toolkit", 1)

    # Killed outright: serve starts another, which finds the new filing.
    first = worker_of(server)
    first.kill()
    first.wait(10)
    file_into(api, case["id"], "office/testWORD.docx")
    found = wait_for_hits(api, '"sample microsoft word document"', 1)
    assert worker_of(server).pid != first.pid
    assert found["items"][0]["title"] == "testWORD"

    checked = ppud(data_dir, "search", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "missing: 0" in checked.stdout and "orphaned: 0" in checked.stdout

    rebuilt = ppud(data_dir, "search", "reindex")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 document(s)" in rebuilt.stdout
    wait_for_hits(api, "toolkit", 1)
    return first


def test_serve_indexes_survives_a_killed_worker_and_checks_and_rebuilds(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert create_user(data_dir, "ada").returncode == 0
    token = only_json_object(ppud(data_dir, "tokens", "create", "ada", "--json").stdout)["token"]
    port = free_port()
    log = tmp_path / "serve.log"

    with log.open("wb") as output:
        server = subprocess.Popen(
            [*CLI, "serve"],
            env=environment(data_dir, PPUD_PORT=str(port)),
            cwd=REPOSITORY,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", server, log)
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}/api/v1",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ) as api:
                first = exercise(api, server, data_dir)

            server.send_signal(signal.SIGTERM)
            status = server.wait(timeout=STOP_TIMEOUT)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()

    assert status == 0, log.read_text()
    assert not first.is_running()
    # No search text or document content in the logs.
    assert "Content Analysis Toolkit" not in log.read_text()


def test_worker_refuses_to_start_beside_another(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = environment(data_dir)
    with subprocess.Popen(
        [*CLI, "worker"], env=env, cwd=REPOSITORY, stderr=subprocess.PIPE
    ) as first:
        try:
            deadline = time.monotonic() + 60
            while not (data_dir / "search" / "CURRENT").exists():
                assert time.monotonic() < deadline and first.poll() is None
                time.sleep(0.2)
            time.sleep(1)

            second = ppud(data_dir, "worker")

            assert second.returncode == 2
            assert "another search worker holds the index" in second.stderr
        finally:
            first.terminate()
            first.wait(STOP_TIMEOUT)
