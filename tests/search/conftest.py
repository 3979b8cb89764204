"""A real search worker (real Tika subprocesses, a real Tantivy index) beside the test app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from records.store import Store
from search.index import TantivyIndex
from search.worker import ExtractionSettings, Worker, ensure_search_indexes
from server.config import Settings
from tests.conftest import CORPUS, User, upload


@pytest.fixture
async def worker(store: Store, settings: Settings) -> AsyncIterator[Worker]:
    await ensure_search_indexes(store)
    index = TantivyIndex(settings.search_dir, writer=True)
    running = Worker(store, index, ExtractionSettings(), settings.data_dir / "scratch")
    yield running
    running.index.close()


async def settle(worker: Worker) -> int:
    """Run the worker until nothing is waiting; how many passes did work."""
    passes = 0
    while await worker.run_once():
        passes += 1
        assert passes < 20, "the worker never settled"
    return passes


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


async def search(client: httpx.AsyncClient, q: str, **params: str) -> dict[str, Any]:
    response = await client.get("/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())
