"""The ppud command run for real, in child processes, each with its own data directory."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
import pyotp
import pytest

from tests.conftest import PASSWORD

CLI = [sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())"]
REPOSITORY = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT = 120.0
START_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    # No PPUD_MONGODB_URI: every command must find or start the embedded database.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PPUD_")}
    return inherited | {"PPUD_DATA_DIR": str(data_dir)} | extra


def ppud(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=environment(data_dir),
        cwd=REPOSITORY,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def create_user(data_dir: Path, username: str) -> subprocess.CompletedProcess[str]:
    return ppud(
        data_dir,
        *("users", "create", username, "--level", "caseworker", "--team", "t"),
        *("--password-stdin", "--json"),
        stdin=PASSWORD + "\n",
    )


def only_json_object(stdout: str) -> dict[str, Any]:
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout
    parsed = json.loads(lines[0])
    assert isinstance(parsed, dict)
    return parsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve exited early:\n{log.read_text()}"
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()}")


def is_gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


@pytest.fixture(scope="module")
def alice(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A data directory in which `users create alice` has run (once per module: it is slow)."""
    data_dir = tmp_path_factory.mktemp("ppud-cli")
    return data_dir, create_user(data_dir, "alice")


def test_cli_users_create_json_prints_one_object_and_nothing_else(
    alice: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, result = alice

    created = only_json_object(result.stdout)

    assert result.returncode == 0, result.stderr
    assert set(created) == {"id", "username", "totp_secret"}
    assert created["username"] == "alice"
    assert len(pyotp.TOTP(created["totp_secret"]).now()) == 6
    # The command started the database for itself and stopped it again.
    assert not (data_dir / "db" / "endpoint.json").exists()


def test_cli_users_create_without_password_keeps_stdout_to_the_object(tmp_path: Path) -> None:
    result = ppud(tmp_path, "users", "create", "bob", "--level", "viewer", "--team", "t", "--json")

    assert result.returncode == 0, result.stderr
    assert only_json_object(result.stdout)["username"] == "bob"
    assert "no password given" in result.stderr


def test_cli_users_create_enrolling_at_first_sign_in_prints_no_secret(tmp_path: Path) -> None:
    result = ppud(
        tmp_path,
        *("users", "create", "carol", "--level", "caseworker", "--team", "t"),
        *("--password-stdin", "--enrol-on-first-sign-in", "--json"),
        stdin=PASSWORD + "\n",
    )

    assert result.returncode == 0, result.stderr
    assert only_json_object(result.stdout)["totp_secret"] is None


def test_cli_tokens_create_json_prints_a_token(
    alice: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, _ = alice

    result = ppud(data_dir, "tokens", "create", "alice", "--json")

    assert result.returncode == 0, result.stderr
    printed = only_json_object(result.stdout)
    assert printed["token"].startswith("ppud_")
    assert len(printed["token"]) > 30


def test_cli_users_create_duplicate_fails_with_a_readable_message(
    alice: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, _ = alice

    again = create_user(data_dir, "alice")

    assert again.returncode != 0
    assert again.stdout == ""
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr


def test_cli_users_create_refuses_a_short_password(tmp_path: Path) -> None:
    result = ppud(
        tmp_path,
        *("users", "create", "erin", "--level", "viewer", "--team", "t", "--password-stdin"),
        stdin="short\n",
    )

    assert result.returncode != 0
    assert "password" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_users_create_refuses_an_unknown_level(tmp_path: Path) -> None:
    result = ppud(tmp_path, "users", "create", "frank", "--level", "superuser", "--team", "t")

    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert "superuser" in result.stderr
    assert result.stdout == ""
    # argparse refused it before any database was started.
    assert not (tmp_path / "db").exists()


def test_cli_tokens_create_for_an_unknown_user_fails_readably(tmp_path: Path) -> None:
    result = ppud(tmp_path, "tokens", "create", "nobody", "--json")

    assert result.returncode != 0
    assert result.stdout == ""
    assert "nobody" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_admin_commands_work_while_the_server_runs(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{free_port()}"
    env = environment(data_dir, PPUD_PORT=base.rsplit(":", 1)[1])

    with log.open("wb") as output:
        server = subprocess.Popen(
            [*CLI, "serve"], env=env, cwd=REPOSITORY, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_until_healthy(base, server, log)
            endpoint = json.loads((data_dir / "db" / "endpoint.json").read_text())

            created = create_user(data_dir, "grace")
            issued = ppud(data_dir, "tokens", "create", "grace", "--json")

            assert created.returncode == 0, created.stderr
            assert issued.returncode == 0, issued.stderr
            token = only_json_object(issued.stdout)["token"]
            me = httpx.get(
                f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
            )
            assert me.status_code == 200, me.text
            assert me.json()["username"] == "grace"
            # The commands attached to the server's database and left it running.
            assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
            assert json.loads((data_dir / "db" / "endpoint.json").read_text()) == endpoint

            server.send_signal(signal.SIGTERM)
            status = server.wait(timeout=STOP_TIMEOUT)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()

    # A clean exit, not death by the signal: the embedded database was stopped
    # by serve itself, which removes the endpoint file as it does so.
    assert status == 0, log.read_text()
    assert not (data_dir / "db" / "endpoint.json").exists()
    assert is_gone(endpoint["pid"])
    after = ppud(data_dir, "tokens", "create", "grace", "--json")
    assert after.returncode == 0, after.stderr
    assert only_json_object(after.stdout)["token"].startswith("ppud_")


def test_cli_serve_on_a_taken_port_fails_readably_before_starting_the_database(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])

        result = subprocess.run(
            [*CLI, "serve"],
            env=environment(data_dir, PPUD_PORT=port),
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )

    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "PPUD_PORT" in result.stderr
    assert "Traceback" not in result.stderr
    # Refused up front: no database was started on the way.
    assert not (data_dir / "db").exists()


def test_cli_users_create_refuses_a_password_that_is_not_utf8(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "users", "create", "kim", "--level", "viewer", "--team", "t", "--password-stdin"],
        env=environment(tmp_path),
        cwd=REPOSITORY,
        input=b"a long pass \xff phrase\n",
        capture_output=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )

    assert result.returncode != 0
    assert b"not UTF-8" in result.stderr
    assert b"Traceback" not in result.stderr
    assert not (tmp_path / "db").exists()


@pytest.mark.parametrize("grace", ["0", "-1", "soon"])
def test_cli_sweep_refuses_a_grace_below_one_minute(tmp_path: Path, grace: str) -> None:
    result = ppud(tmp_path, "sweep", "--grace-minutes", grace)

    # A grace of zero would remove uploads that are still streaming in.
    assert result.returncode == 2
    assert "--grace-minutes" in result.stderr
    assert not (tmp_path / "db").exists()


def test_cli_users_unlock_of_an_unknown_user_says_so(
    alice: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, _ = alice

    result = ppud(data_dir, "users", "unlock", "nobody")

    assert result.returncode == 1
    assert "no user named 'nobody'" in result.stderr
    assert "unlocked" not in result.stdout


def test_cli_tokens_create_refuses_an_overlong_label(
    alice: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, _ = alice

    result = ppud(data_dir, "tokens", "create", "alice", "--label", "x" * 5000)

    assert result.returncode == 1
    assert "label" in result.stderr
    assert result.stdout == ""


def test_cli_serve_restarts_an_embedded_database_that_dies(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{free_port()}"
    env = environment(data_dir, PPUD_PORT=base.rsplit(":", 1)[1])
    created = create_user(data_dir, "hana")
    assert created.returncode == 0, created.stderr
    token = only_json_object(ppud(data_dir, "tokens", "create", "hana", "--json").stdout)["token"]
    me = f"{base}/api/v1/me"
    auth = {"Authorization": f"Bearer {token}"}

    with log.open("wb") as output:
        server = subprocess.Popen(
            [*CLI, "serve"], env=env, cwd=REPOSITORY, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_until_healthy(base, server, log)
            first = json.loads((data_dir / "db" / "endpoint.json").read_text())

            # As the kernel's out-of-memory killer would.
            os.kill(first["pid"], signal.SIGKILL)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                second = json.loads((data_dir / "db" / "endpoint.json").read_text())
                if second["pid"] != first["pid"] and httpx.get(me, headers=auth).status_code == 200:
                    break
                time.sleep(0.5)
            answered = httpx.get(me, headers=auth, timeout=10)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=STOP_TIMEOUT)

    # Same files, same address: the records are all there and the pool reconnected.
    assert answered.status_code == 200, log.read_text()
    assert answered.json()["username"] == "hana"
    assert second["uri"] == first["uri"]
    assert "starting it again" in log.read_text()
    assert is_gone(second["pid"])


def test_cli_users_set_password_gives_a_tokens_only_user_a_password(tmp_path: Path) -> None:
    created = ppud(tmp_path, "users", "create", "lee", "--level", "viewer", "--team", "t")
    assert created.returncode == 0, created.stderr

    result = ppud(
        tmp_path, "users", "set-password", "lee", "--password-stdin", stdin=PASSWORD + "\n"
    )

    assert result.returncode == 0, result.stderr
    assert "password set for lee" in result.stdout
