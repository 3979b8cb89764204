from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import CORPUS, User


async def test_document_round_trip_smoke(caseworker: User, document: dict[str, Any]) -> None:
    response = await caseworker.client.get(f"/documents/{document['id']}/content")

    assert response.status_code == 200
    expected = (CORPUS / "pdf-samples" / "001-trivial" / "minimal-document.pdf").read_bytes()
    assert response.content == expected


async def test_healthz_answers_without_credentials(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/healthz")

    assert response.status_code == 200
