"""The HTTP protocol under the app: endless heads and broken requests answer problem+json."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from server import protocol
from server.protocol import MAX_HEAD_BYTES
from tests.conftest import User, live_server, upload


async def exchange(base: str, request: bytes) -> bytes:
    """Send raw bytes, read the whole answer until the server closes."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()


def problem_of(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/problem+json" in head.lower()
    return status, json.loads(body)


async def test_protocol_endless_header_is_refused_with_431(app: Starlette) -> None:
    huge = b"X-Filler: " + b"a" * (4 * MAX_HEAD_BYTES) + b"\r\n"

    async with live_server(app) as base:
        answer = await exchange(base, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + huge + b"\r\n")
        async with httpx.AsyncClient(base_url=base) as client:
            after = await client.get("/healthz")

    status, problem = problem_of(answer)
    assert status == 431
    assert str(MAX_HEAD_BYTES) in str(problem["detail"])
    assert after.status_code == 200


async def test_protocol_many_headers_past_the_limit_are_refused(app: Starlette) -> None:
    headers = b"".join(b"X-N%d: %s\r\n" % (n, b"v" * 100) for n in range(1000))

    async with live_server(app) as base:
        answer = await exchange(base, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + headers + b"\r\n")

    assert problem_of(answer)[0] == 431


async def test_protocol_head_under_the_limit_with_a_body_after_it_is_served(
    app: Starlette, caseworker: User
) -> None:
    # A large body arriving in the same reads as the head must not count as head.
    body = json.dumps({"family_name": "Example", "given_names": "A" * 100, "x": "y" * 200_000})

    async with (
        live_server(app) as base,
        httpx.AsyncClient(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {caseworker.token}"}
        ) as client,
    ):
        response = await client.post(
            "/offenders", content=body, headers={"X-Padding": "p" * (MAX_HEAD_BYTES // 2)}
        )

    # Refused by the route for its unknown field, so the whole request was read.
    assert response.status_code == 422, response.text
    assert "x" in {item["field"] for item in response.json()["errors"]}


async def test_protocol_keeps_a_connection_alive_across_requests(app: Starlette) -> None:
    async with live_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        answers = [await client.get("/healthz", headers={"X-Pad": "p" * 30_000}) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200] * 5


async def test_protocol_garbage_request_is_a_problem_400(app: Starlette) -> None:
    async with live_server(app) as base:
        answer = await exchange(base, b"THIS IS NOT HTTP\r\n\r\n")

    status, problem = problem_of(answer)
    assert status == 400
    assert "not valid HTTP" in str(problem["detail"])


async def test_protocol_conflicting_lengths_are_a_problem_400(app: Starlette) -> None:
    request = (
        b"POST /api/v1/offenders HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )

    async with live_server(app) as base:
        answer = await exchange(base, request)

    assert problem_of(answer)[0] == 400


async def test_protocol_head_that_never_ends_is_timed_out_with_408(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol, "HEAD_TIMEOUT_SECONDS", 0.3)

    async with live_server(app) as base:
        # A slow-headers client: the head is begun and never finished.
        answer = await exchange(base, b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")

    status, problem = problem_of(answer)
    assert status == 408
    assert "did not arrive" in str(problem["detail"])


async def test_protocol_head_timeout_spares_a_slow_download_and_the_next_request(
    app: Starlette, caseworker: User, case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    content = random.Random(5).randbytes(6 * 1024 * 1024)
    uploaded = await upload(caseworker.client, case["id"], content, "large.bin")
    assert uploaded.status_code == 201, uploaded.text
    monkeypatch.setattr(protocol, "HEAD_TIMEOUT_SECONDS", 0.3)
    path = f"/api/v1/documents/{uploaded.json()['id']}/content"
    request = f"GET {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {caseworker.token}\r\n\r\n"

    async with live_server(app) as base:
        url = urlsplit(base)
        reader, writer = await asyncio.open_connection(url.hostname, url.port, limit=2**16)
        try:
            writer.write(request.encode())
            # Read nothing for longer than the head timeout: the response is still going out.
            await asyncio.sleep(1.0)
            head = await reader.readuntil(b"\r\n\r\n")
            body = await reader.readexactly(len(content))
            await asyncio.sleep(0.1)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            again = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        finally:
            writer.close()

    assert head.startswith(b"HTTP/1.1 200")
    assert body == content
    assert again.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize(
    ("trusted", "recorded"), [(None, "127.0.0.1"), ("127.0.0.1", "203.0.113.66")]
)
async def test_protocol_forwarded_address_is_believed_only_from_a_trusted_proxy(
    app: Starlette, caseworker: User, trusted: str | None, recorded: str
) -> None:
    async with (
        live_server(app, trusted_proxies=trusted) as base,
        httpx.AsyncClient(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {caseworker.token}"}
        ) as client,
    ):
        created = await client.post(
            "/offenders",
            json={"family_name": "Example", "given_names": "A", "date_of_birth": "1980-01-01"},
            headers={"X-Forwarded-For": "203.0.113.66"},
        )
        events = await client.get("/audit")

    assert created.status_code == 201, created.text
    [event] = [e for e in events.json()["items"] if e["action"] == "offender.create"]
    # The audit's "from where" must not be whatever a local process claims.
    assert event["ip"] == recorded


async def test_protocol_answers_do_not_name_the_server_software(app: Starlette) -> None:
    async with live_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/healthz")

    assert "server" not in response.headers
