from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from records.store import Store
from search.service import SearchService
from server.app import create_app
from server.config import Settings
from server.state import Services
from tests.conftest import User

PROBLEM_JSON = "application/problem+json"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Nothing listens on port 1; a short selection timeout makes "down" quick to see.
# A Unix socket that does not exist, not a closed TCP port: PyMongo's async
# connect leaks its socket when cancelled mid-connect (its close() does that to
# the monitor), and a TCP connect can be cancelled while pending; connecting to
# a missing Unix socket fails at once, with no pending moment to cancel.
UNREACHABLE = "mongodb://%2Ftmp%2Fppud-test-no-database.sock/?serverSelectionTimeoutMS=500"

# Every operation api.md lists for offenders, cases, folders, documents,
# versions, content, locks, sharing, manifests, audit, sessions and health.
DOCUMENTED_OPERATIONS = {
    ("post", "/api/v1/offenders"),
    ("get", "/api/v1/offenders"),
    ("get", "/api/v1/offenders/{offender_id}"),
    ("patch", "/api/v1/offenders/{offender_id}"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/{case_id}"),
    ("post", "/api/v1/cases/{case_id}/folders"),
    ("post", "/api/v1/cases/{case_id}/documents"),
    ("get", "/api/v1/documents/{document_id}"),
    ("patch", "/api/v1/documents/{document_id}"),
    ("post", "/api/v1/documents/{document_id}/lock"),
    ("delete", "/api/v1/documents/{document_id}/lock"),
    ("post", "/api/v1/documents/{document_id}/versions"),
    ("get", "/api/v1/documents/{document_id}/content"),
    ("get", "/api/v1/documents/{document_id}/versions/{number}/content"),
    ("put", "/api/v1/documents/{document_id}/sharing"),
    ("get", "/api/v1/documents/{document_id}/manifest"),
    ("get", "/api/v1/audit"),
    ("post", "/api/v1/session"),
    ("get", "/healthz"),
    ("get", "/readyz"),
}


@pytest.fixture
async def database_down(settings: Settings) -> AsyncIterator[Starlette]:
    """An app whose database does not answer.

    The lifespan would fail in ensure_indexes, so the services are installed by
    hand, as the lifespan would have left them.
    """
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(UNREACHABLE, tz_aware=True)
    unreachable = Store(client=client, db=client["ppud"])
    application = create_app(settings, store=unreachable)
    application.state.services = Services(
        settings=settings,
        store=unreachable,
        search=SearchService(settings.search_dir, settings.tika_url),
    )
    yield application
    await client.close()


def client_for(app: Starlette) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_healthz_answers_at_the_root_and_under_the_api(anonymous: httpx.AsyncClient) -> None:
    root = await anonymous.get("/healthz")
    api = await anonymous.get("/api/v1/healthz")

    assert root.status_code == 200
    assert api.status_code == 200
    assert root.json() == api.json() == {"status": "ok"}


async def test_healthz_answers_while_the_database_is_down(database_down: Starlette) -> None:
    async with client_for(database_down) as client:
        response = await client.get("/healthz")

    assert response.status_code == 200


async def test_readyz_answers_200_when_the_database_answers(
    anonymous: httpx.AsyncClient,
) -> None:
    root = await anonymous.get("/readyz")
    api = await anonymous.get("/api/v1/readyz")

    assert root.status_code == 200
    assert api.status_code == 200
    assert root.json() == {"status": "ready", "down": []}


async def test_readyz_answers_503_naming_the_database_when_it_is_down(
    database_down: Starlette,
) -> None:
    async with client_for(database_down) as client:
        root = await client.get("/readyz")
        api = await client.get("/api/v1/readyz")

    assert root.status_code == 503
    assert root.json() == {"status": "down", "down": ["database"]}
    assert api.status_code == 503


async def test_api_answers_503_problem_when_the_database_is_down(
    database_down: Starlette,
) -> None:
    async with client_for(database_down) as client:
        response = await client.get(
            "/api/v1/offenders", headers={"Authorization": "Bearer ppud_anything"}
        )

    assert response.status_code == 503
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "database" in response.json()["detail"]
    assert "ServerSelectionTimeoutError" not in response.text


async def test_openapi_is_openapi_3_json(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    description = json.loads(response.content)
    assert re.match(r"^3\.\d+\.\d+$", description["openapi"])
    assert description["info"]["title"]
    assert "bearer" in description["components"]["securitySchemes"]


async def test_openapi_describes_every_documented_operation(anonymous: httpx.AsyncClient) -> None:
    paths = (await anonymous.get("/api/v1/openapi.json")).json()["paths"]

    described = {
        (method, path) for path, item in paths.items() for method in item if method in HTTP_METHODS
    }

    assert DOCUMENTED_OPERATIONS - described == set()
    for method, path in DOCUMENTED_OPERATIONS:
        operation = paths[path][method]
        assert operation["summary"], (method, path)
        assert operation["responses"], (method, path)


async def test_openapi_marks_only_the_open_operations_as_needing_no_credentials(
    anonymous: httpx.AsyncClient,
) -> None:
    paths = (await anonymous.get("/api/v1/openapi.json")).json()["paths"]

    open_operations = {
        (method, path)
        for path, item in paths.items()
        for method, operation in item.items()
        if method in HTTP_METHODS and operation.get("security") == []
    }

    assert ("post", "/api/v1/session") in open_operations
    assert ("get", "/api/v1/offenders") not in open_operations
    assert ("get", "/api/v1/audit") not in open_operations


async def test_unknown_route_is_404_problem(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == 404
    assert set(body) >= {"type", "title", "status", "detail"}


async def test_wrong_method_is_405_problem(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.delete("/api/v1/offenders")

    assert response.status_code == 405
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["status"] == 405
    assert "DELETE" in response.json()["detail"]


async def test_wrong_method_405_allows_every_method_of_the_path(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.delete("/api/v1/offenders")

    # RFC 9110 section 15.5.6: a 405 lists every method the resource supports.
    allowed = {method.strip() for method in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed


async def test_responses_carry_a_request_id(anonymous: httpx.AsyncClient, caseworker: User) -> None:
    answers = [
        await anonymous.get("/healthz"),
        await anonymous.get("/api/v1/nowhere"),
        await caseworker.client.get("/me"),
    ]

    ids = [response.headers["x-request-id"] for response in answers]
    assert all(re.match(r"^[0-9a-f]{32}$", rid) for rid in ids)
    assert len(set(ids)) == len(ids)


async def test_request_id_from_the_client_is_kept_when_safe(
    anonymous: httpx.AsyncClient,
) -> None:
    safe = await anonymous.get("/healthz", headers={"X-Request-ID": "lb-1234.abc_Z"})
    unsafe = await anonymous.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})

    assert safe.headers["x-request-id"] == "lb-1234.abc_Z"
    assert re.match(r"^[0-9a-f]{32}$", unsafe.headers["x-request-id"])


async def test_internal_error_is_500_problem_without_internals(
    settings: Settings, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(request: Request) -> Response:
        raise RuntimeError("secret internal state: /srv/ppud/records.py line 12")

    application = create_app(settings, store=store)
    # Under the API: a page path answers a crash with a page (tests/web/test_pages.py).
    api = next(r for r in application.router.routes if isinstance(r, Mount) and r.path == "/api/v1")
    api.routes.append(Route("/explode", explode, methods=["GET"]))

    with caplog.at_level(logging.ERROR):
        async with client_for(application) as client:
            response = await client.get("/api/v1/explode")

    assert response.status_code == 500
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == 500
    for leak in ("RuntimeError", "Traceback", "secret internal state", "records.py"):
        assert leak not in response.text
    assert response.headers["x-request-id"] in body["detail"]
    # The traceback goes to the log instead, for whoever quotes the request id.
    assert any(record.exc_info for record in caplog.records)


async def test_readyz_answers_503_naming_the_extractor_when_the_tika_server_is_down(
    store: Store, tmp_path: Path
) -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    settings = Settings(data_dir=tmp_path, tika_url="http://127.0.0.1:9")
    application = create_app(settings, store=store)

    async with application.router.lifespan_context(application), client_for(application) as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "down", "down": ["extractor"]}
