"""Every JSON body is read the same strict way, and a refused one changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from records.store import Store
from tests.conftest import CORPUS, User, upload
from tests.server.test_uploads import assert_problem

PDF = (CORPUS / "pdf-samples" / "001-trivial" / "minimal-document.pdf").read_bytes()
# Bodies that parse in Python's json module but cannot be stored or sent back.
HOSTILE = {
    "not-a-number": b'{"family_name": NaN}',
    "infinite": b'{"family_name": 1e400}',
    "lone-surrogate": b'{"family_name": "\\ud800", "given_names": "A"}',
    "repeated-key": b'{"family_name": "A", "family_name": "B"}',
    "deep": b'{"aliases": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "utf-16": '{"family_name": "A"}'.encode("utf-16"),
    "huge-number": b'{"family_name": ' + b"9" * 5000 + b"}",
}


@pytest.fixture
async def routes(caseworker: User, case: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """A JSON-bodied write of each kind the API has, as (method, path)."""
    return [
        "POST /offenders",
        f"PATCH /offenders/{case['offender_id']}",
        "POST /cases",
        f"POST /cases/{case['id']}/folders",
        f"PATCH /documents/{document['id']}",
        f"PUT /documents/{document['id']}/sharing",
        f"POST /documents/{document['id']}/lock",
    ]


async def snapshot(store: Store) -> dict[str, int]:
    names = ("offenders", "cases", "folders", "documents", "audit")
    return {name: await store.db[name].count_documents({}) for name in names}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
async def test_json_hostile_body_is_malformed_everywhere_and_changes_nothing(
    store: Store, caseworker: User, document: dict[str, Any], routes: list[str], kind: str
) -> None:
    before = await snapshot(store)
    revision = f'"{document["revision"]}"'

    for route in routes:
        method, path = route.split(" ", 1)
        response = await caseworker.client.request(
            method, path, content=HOSTILE[kind], headers={"If-Match": revision}
        )
        assert_problem(response, 400, "body")

    assert await snapshot(store) == before


async def test_json_sign_in_with_a_lone_surrogate_is_malformed(
    anonymous: httpx.AsyncClient,
) -> None:
    body = b'{"username": "\\ud800", "password": "x", "totp": "123456"}'

    response = await anonymous.post("/api/v1/session", content=body)

    assert_problem(response, 400, "unicode")


async def test_json_declared_too_long_is_refused_before_it_is_read(caseworker: User) -> None:
    response = await caseworker.client.post(
        "/offenders", content=b"{", headers={"Content-Length": "99999999999"}
    )

    assert_problem(response, 413, "limited")


@pytest.mark.parametrize(
    ("metadata", "words"),
    [
        ('{"a": NaN}', "not finite"),
        ('{"a": 1180591620717411303424}', "too large"),
        ('{"a\\u0000": 1}', "key"),
        ('{"a": {"$where": "1"}}', "'$'"),
        ('{"a": [{"b.c": 1}]}', "'.'"),
        ('{"a": ' * 40 + "1" + "}" * 40, "nested"),
    ],
)
async def test_json_metadata_form_field_that_cannot_be_kept_files_nothing(
    store: Store, caseworker: User, case: dict[str, Any], metadata: str, words: str
) -> None:
    response = await upload(caseworker.client, case["id"], PDF, metadata=metadata)

    assert_problem(response, 422, "metadata", words)
    assert await store.db["documents"].count_documents({}) == 0
    assert await store.db["fs.files"].count_documents({}) == 0


async def test_json_metadata_patch_that_cannot_be_kept_changes_nothing(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await caseworker.client.patch(
        f"/documents/{document['id']}",
        content=b'{"metadata": {"a": NaN}}',
        headers={"If-Match": '"1"'},
    )
    after = await caseworker.client.get(f"/documents/{document['id']}")

    assert_problem(response, 400, "not finite")
    assert after.status_code == 200
    assert after.json()["metadata"] == {} and after.json()["revision"] == 1
