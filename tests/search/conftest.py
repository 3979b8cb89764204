"""A real search worker (real Tika subprocesses, a real Tantivy index) beside the test app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from records.store import Store
from search.index import TantivyIndex
from search.worker import ExtractionSettings, Worker, ensure_search_indexes
from server.config import Settings


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


async def search(client: httpx.AsyncClient, q: str, **params: str) -> dict[str, Any]:
    response = await client.get("/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())
