"""What the dossier tests share: a worker on the test database, and asking for a dossier."""

from __future__ import annotations

from typing import Any

import pikepdf
import pytest

from dossier_builder.build import DossierWorker
from records.store import Store
from server.config import Settings
from tests.conftest import CORPUS, User


@pytest.fixture
def dossier_worker(store: Store, settings: Settings) -> DossierWorker:
    return DossierWorker(store, settings.data_dir / "dossiers")


def pages_of(name: str) -> int:
    if not name.endswith(".pdf"):
        return 1
    with pikepdf.open(CORPUS / name) as pdf:
        return len(pdf.pages)


def of_one(document: dict[str, Any]) -> dict[str, Any]:
    """A request for a dossier of one document in one section."""
    return {
        "title": "D",
        "sections": [{"title": "S", "items": [{"document_id": document["id"]}]}],
        "options": {"missing": "placeholder"},
    }


async def ask(user: User, case_id: str, body: dict[str, Any]) -> Any:
    return await user.client.post(f"/cases/{case_id}/dossiers", json=body)


async def built(user: User, worker: DossierWorker, case_id: str, body: dict[str, Any]) -> Any:
    """Ask for a dossier, let the worker build it, and return the finished job."""
    asked = await ask(user, case_id, body)
    assert asked.status_code == 202, asked.text
    assert await worker.run_once()
    job = (await user.client.get(f"/jobs/{asked.json()['job_id']}")).json()
    assert job["state"] == "done", job
    return job


async def manifest_of(user: User, job: dict[str, Any]) -> Any:
    return (await user.client.get(f"/documents/{job['result']['document_id']}/manifest")).json()
