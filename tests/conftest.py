"""Shared fixtures: one embedded database per test session, a fresh database per test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
import uvicorn
from pymongo import AsyncMongoClient
from starlette.applications import Starlette

from dossier_builder import templates as dossier_templates
from records import credentials, users
from records.actors import SYSTEM, Actor
from records.indexes import ensure_indexes
from records.store import Store
from server.app import create_app
from server.config import Settings
from server.embedded_db import EmbeddedDatabase
from server.protocol import uvicorn_options

# The sample documents live in shared/, beside the repository (as in CI's clone);
# PPUD_TEST_CORPUS points elsewhere when the checkout is laid out differently.
CORPUS = Path(
    os.environ.get("PPUD_TEST_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)
assert CORPUS.is_dir(), f"the sample documents are missing from {CORPUS}"
PASSWORD = "a long enough test password"


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedDatabase(tmp_path_factory.mktemp("ppud-data")) as embedded:
        yield embedded.uri


@pytest.fixture(scope="session")
async def mongo_client(database_uri: str) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(database_uri, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def store(mongo_client: AsyncMongoClient[dict[str, Any]]) -> AsyncIterator[Store]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    # Small chunks make multi-chunk files (and range reads across chunks) cheap.
    active = Store(client=mongo_client, db=mongo_client[name], chunk_size=64 * 1024)
    await ensure_indexes(active)
    await dossier_templates.seed(active)
    yield active
    await mongo_client.drop_database(name)


class Clock:
    """A store clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta = timedelta(0), **parts: float) -> None:
        self.at += delta + timedelta(**parts)


@pytest.fixture
def clock(store: Store) -> Iterator[Clock]:
    """The store's clock, stopped at 09:00 UTC on 2 March 2026 until the test moves it."""
    original = store.clock
    stopped = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    store.clock = stopped
    yield stopped
    store.clock = original


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, max_upload_bytes=8 * 1024 * 1024)


@pytest.fixture
async def app(settings: Settings, store: Store) -> AsyncIterator[Starlette]:
    application = create_app(settings, store=store)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def anonymous(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass
class User:
    id: str
    username: str
    level: str
    team: str
    totp_secret: str
    token: str
    client: httpx.AsyncClient

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.username, self.level, self.team)  # type: ignore[arg-type]

    def totp(self) -> str:
        return pyotp.TOTP(self.totp_secret).now()


MakeUser = Callable[..., Awaitable[User]]


@pytest.fixture
async def make_user(app: Starlette, store: Store) -> AsyncIterator[MakeUser]:
    """Create a user with a token and an API client that sends it."""
    clients: list[httpx.AsyncClient] = []

    async def make(level: str = "caseworker", team: str = "ppcs", **extra: Any) -> User:
        name = extra.pop("username", None) or f"{level}-{uuid.uuid4().hex[:6]}"
        created = await users.create_user(
            store, SYSTEM, name, level=level, team=team, password=PASSWORD, **extra
        )
        token = await credentials.create_token(store, SYSTEM, name)
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 41000))
        client = httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver/api/v1",
            headers={"Authorization": f"Bearer {token.token}"},
        )
        clients.append(client)
        return User(created.id, name, level, team, created.totp_secret, token.token, client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def caseworker(make_user: MakeUser) -> User:
    return await make_user("caseworker")


@pytest.fixture
async def offender(caseworker: User) -> dict[str, Any]:
    response = await caseworker.client.post(
        "/offenders",
        json={"family_name": "Example", "given_names": "Alex Sam", "date_of_birth": "1985-04-12"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def open_case(
    client: httpx.AsyncClient,
    offender_id: str,
    *,
    case_type: str = "recall",
    title: str = "Recall review",
    team: str = "ppcs",
) -> dict[str, Any]:
    """A new case for the offender, opened through the API."""
    response = await client.post(
        "/cases",
        json={"offender_id": offender_id, "case_type": case_type, "title": title, "team": team},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
async def case(caseworker: User, offender: dict[str, Any]) -> dict[str, Any]:
    return await open_case(caseworker.client, offender["id"])


async def upload(
    client: httpx.AsyncClient,
    case_id: str,
    content: bytes,
    filename: str = "report.pdf",
    **fields: str,
) -> httpx.Response:
    data = {"title": "A report", "doc_type": "other", **fields}
    return await client.post(
        f"/cases/{case_id}/documents",
        data=data,
        files={"file": (filename, content, "application/octet-stream")},
    )


@pytest.fixture
async def document(caseworker: User, case: dict[str, Any]) -> dict[str, Any]:
    pdf = (CORPUS / "pdf-samples" / "001-trivial" / "minimal-document.pdf").read_bytes()
    response = await upload(caseworker.client, case["id"], pdf, "minimal.pdf", doc_type="licence")
    assert response.status_code == 201, response.text
    return dict(response.json())


@contextlib.asynccontextmanager
async def live_server(app: Starlette, *, trusted_proxies: str | None = None) -> AsyncIterator[str]:
    """Serve app over real TCP on a free port, as `ppud serve` does, for tests that need sockets."""
    options = uvicorn_options(trusted_proxies)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    # uvicorn offers no start event; polling its flag is the documented way.
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def with_limit(settings: Settings, max_bytes: int) -> Settings:
    return replace(settings, max_upload_bytes=max_bytes)


File = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def file_document(caseworker: User, case: dict[str, Any]) -> File:
    """File a corpus document (or given bytes) into the case, as a caseworker would."""

    async def file(
        name: str = "office/testPDF.pdf",
        *,
        content: bytes | None = None,
        client: httpx.AsyncClient | None = None,
        case_id: str | None = None,
        **fields: str,
    ) -> dict[str, Any]:
        data = content if content is not None else (CORPUS / name).read_bytes()
        filename = name.rsplit("/", 1)[-1]
        response = await upload(
            client or caseworker.client, case_id or case["id"], data, filename, **fields
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    return file


CLI = [sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())"]
Ppud = Callable[..., Awaitable[subprocess.CompletedProcess[str]]]


@pytest.fixture
def ppud_env(tmp_path: Path, store: Store, database_uri: str) -> dict[str, str]:
    """The environment the ppud command runs in on this test's database."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PPUD_")}
    return inherited | {
        "PPUD_MONGODB_URI": database_uri,
        "PPUD_DATABASE": store.db.name,
        "PPUD_DATA_DIR": str(tmp_path / "data"),
    }


@pytest.fixture
def ppud(ppud_env: dict[str, str]) -> Ppud:
    """Run the ppud command on this test's database, as an administrator at the server would."""

    async def run(
        *args: str, stdin: str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [*CLI, *args],
            input=stdin,
            env=ppud_env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    return run
