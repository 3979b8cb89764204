"""The HTTP protocol under the app: endless heads and broken requests answer problem+json."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette

from server.protocol import MAX_HEAD_BYTES
from tests.conftest import User, live_server


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
