from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from records.store import Store
from server.app import create_app
from server.config import Settings
from server.logs import configure
from server.middleware import loggable
from tests.conftest import PASSWORD, User, upload

Configure = Callable[[str, str], io.StringIO]


@pytest.fixture
def configured_log() -> Iterator[Configure]:
    """Install the server's logging, write it to a buffer, and undo it afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("pymongo", "uvicorn.error")}
    access_disabled = logging.getLogger("uvicorn.access").disabled

    def install(level: str, fmt: str) -> io.StringIO:
        configure(level, fmt)
        (handler,) = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        buffer = io.StringIO()
        handler.setStream(buffer)
        return buffer

    yield install

    root.handlers = saved_handlers
    root.setLevel(saved_level)
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger("uvicorn.access").disabled = access_disabled


def json_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def test_log_json_line_carries_the_request_id_of_the_response(
    configured_log: Configure, caseworker: User
) -> None:
    buffer = configured_log("INFO", "json")

    response = await caseworker.client.get("/me")

    access = [r for r in json_lines(buffer) if r["message"] == "GET /api/v1/me 200"]
    assert len(access) == 1
    assert access[0]["request_id"] == response.headers["x-request-id"]
    assert access[0]["level"] == "INFO"
    assert access[0]["logger"] == "server.middleware"
    assert access[0]["status"] == 200
    assert access[0]["at"]


async def test_log_lines_of_one_request_share_the_clients_request_id(
    configured_log: Configure, settings: Settings, store: Store
) -> None:
    async def explode(request: Request) -> Response:
        raise RuntimeError("boom")

    application = create_app(settings, store=store)
    application.router.routes.append(Route("/explode", explode, methods=["GET"]))
    buffer = configured_log("INFO", "json")

    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/explode", headers={"X-Request-ID": "trace-42"})

    records = [r for r in json_lines(buffer) if r["request_id"] == "trace-42"]
    assert response.headers["x-request-id"] == "trace-42"
    assert [r["level"] for r in records] == ["ERROR", "INFO"]
    assert "RuntimeError" in records[0]["exc_info"]
    assert records[1]["message"] == "GET /explode 500"


async def test_log_text_format_shows_the_request_id(
    configured_log: Configure, caseworker: User
) -> None:
    buffer = configured_log("INFO", "text")

    response = await caseworker.client.get("/me")

    lines = [line for line in buffer.getvalue().splitlines() if "GET /api/v1/me 200" in line]
    assert len(lines) == 1
    assert f"[{response.headers['x-request-id']}]" in lines[0]


async def test_log_never_holds_tokens_passwords_or_document_content(
    configured_log: Configure,
    anonymous: httpx.AsyncClient,
    caseworker: User,
    case: dict[str, Any],
) -> None:
    buffer = configured_log("DEBUG", "json")
    wrong_password = "an entirely wrong passphrase"
    forged_token = "ppud_forged-token-that-is-not-real"
    content = b"CONTENT-MARKER: the offender disclosed the address 12 Example Road\n"

    await anonymous.post(
        "/api/v1/session",
        json={"username": caseworker.username, "password": wrong_password, "totp": "123456"},
    )
    signed_in = await anonymous.post(
        "/api/v1/session",
        json={"username": caseworker.username, "password": PASSWORD, "totp": caseworker.totp()},
    )
    await anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {forged_token}"})
    filed = await upload(caseworker.client, case["id"], content, "disclosure.txt")
    await caseworker.client.get(f"/documents/{filed.json()['id']}/content")
    await caseworker.client.get("/offenders", params={"q": "Sensitivesurname"})

    # The test's own HTTP client logs its request URLs; only the server's lines count.
    logged = "\n".join(
        line
        for line in buffer.getvalue().splitlines()
        if not json.loads(line)["logger"].startswith(("httpx", "httpcore"))
    )
    assert signed_in.status_code == 200
    assert filed.status_code == 201
    assert "POST /api/v1/session 200" in logged
    assert "GET /api/v1/offenders 200" in logged
    secrets = {
        "password": PASSWORD,
        "wrong password": wrong_password,
        "token": caseworker.token,
        "forged token": forged_token,
        "session key": anonymous.cookies["ppud_session"],
        "csrf token": signed_in.json()["csrf_token"],
        "totp secret": caseworker.totp_secret,
        "document content": "CONTENT-MARKER",
        "document words": "12 Example Road",
        "search query": "Sensitivesurname",
    }
    leaked = {name for name, secret in secrets.items() if secret in logged}
    assert leaked == set()


def test_log_settings_repr_hides_the_database_uri(settings: Settings) -> None:
    configured = settings.with_database_uri("mongodb://ppud:hunter2-secret@db.internal/")

    shown = repr(configured)

    assert "hunter2-secret" not in shown
    assert configured.mongodb_uri is not None
    assert configured.mongodb_uri.reveal().startswith("mongodb://ppud:hunter2-secret@")


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/setup/abc_DEF-123", "/setup/[token]"),
        ("/setup/abc/more", "/setup/[token]/more"),
        ("/cases/123", "/cases/123"),
        ("/api/v1/setup/x", "/api/v1/setup/x"),
    ],
)
def test_log_paths_holding_a_secret_are_logged_without_it(path: str, logged: str) -> None:
    assert loggable(path) == logged
