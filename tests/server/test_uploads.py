"""Every way an upload can go wrong answers clearly and leaves nothing half-written."""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from records.store import Store
from server.app import create_app
from server.config import Settings
from tests.conftest import CORPUS, MakeUser, User, live_server, upload, with_limit

PDF = (CORPUS / "pdf-samples" / "001-trivial" / "minimal-document.pdf").read_bytes()
BOUNDARY = "ppud-test-boundary-7f3a"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
SMALL_LIMIT = 4096


def elf_executable(padding: int) -> bytes:
    """A 64-bit ELF header (an x86-64 executable) followed by padding zeros."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 0, 64, 0, 0)
    return ident + header + bytes(padding)


def part(name: str, value: bytes, *, filename: bytes | None = None) -> bytes:
    """One multipart part, built by hand so the filename bytes go out exactly as given."""
    disposition = f'form-data; name="{name}"'.encode()
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    head = f"--{BOUNDARY}\r\nContent-Disposition: ".encode() + disposition
    return head + b"\r\nContent-Type: application/octet-stream\r\n\r\n" + value + b"\r\n"


def closing() -> bytes:
    return f"--{BOUNDARY}--\r\n".encode()


def form(content: bytes, filename: bytes = b"report.pdf") -> bytes:
    title = part("title", b"A report") + part("doc_type", b"other")
    return title + part("file", content, filename=filename) + closing()


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """A problem+json answer whose detail is a sentence naming what went wrong."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    detail = body["detail"]
    assert isinstance(detail, str) and len(detail) >= 10
    assert "Traceback" not in detail and "Error(" not in detail
    for word in words:
        assert word.lower() in detail.lower(), detail
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    assert isinstance(body["errors"], list) and body["errors"]
    for item in body["errors"]:
        assert set(item) == {"field", "message"} and item["message"]
    return {item["field"] for item in body["errors"]}


async def assert_nothing_stored(store: Store, client: httpx.AsyncClient, case_id: str) -> None:
    """No document became visible and no staged bytes or markers were left behind."""
    listed = await client.get(f"/cases/{case_id}/documents")
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []
    assert await store.db["documents"].count_documents({}) == 0
    assert await store.db["fs.files"].count_documents({}) == 0
    assert await store.db["fs.chunks"].count_documents({}) == 0
    assert await store.db["uploads_staging"].count_documents({}) == 0


@pytest.fixture
async def small_app(settings: Settings, store: Store) -> AsyncIterator[Starlette]:
    """The app with an upload limit of a few KiB, over the same database."""
    application = create_app(with_limit(settings, SMALL_LIMIT), store=store)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def small_client(small_app: Starlette, caseworker: User) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=small_app, client=("198.51.100.7", 41000))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {caseworker.token}"},
    ) as client:
        yield client


async def test_upload_well_formed_is_stored_and_unstaged(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await upload(caseworker.client, case["id"], PDF, "minimal.pdf")

    assert response.status_code == 201, response.text
    assert await store.db["fs.files"].count_documents({}) == 1
    assert await store.db["uploads_staging"].count_documents({}) == 0


async def test_upload_empty_file_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await upload(caseworker.client, case["id"], b"", "empty.pdf")

    body = assert_problem(response, 422, "empty")
    assert error_fields(body) == {"file"}
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_json_body_is_malformed(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", json={"title": "A report", "doc_type": "other"}
    )

    assert_problem(response, 400, "multipart/form-data")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_without_any_body_is_malformed(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await caseworker.client.post(f"/cases/{case['id']}/documents")

    assert_problem(response, 400, "multipart")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_multipart_without_boundary_parameter_is_malformed(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents",
        content=form(PDF),
        headers={"Content-Type": "multipart/form-data"},
    )

    assert_problem(response, 400, "multipart")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_multipart_without_closing_boundary_is_malformed(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    # Large enough that whole GridFS chunks were written before the body ran out.
    content = b"%PDF-1.4\n" + random.Random(1).randbytes(200_000)
    truncated = part("title", b"A report") + part("doc_type", b"other")
    truncated += part("file", content, filename=b"cut.pdf")

    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", content=truncated, headers={"Content-Type": MULTIPART}
    )

    assert_problem(response, 400, "closing boundary")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_garbage_body_is_malformed(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents",
        content=b"this is not a multipart body at all\r\n",
        headers={"Content-Type": MULTIPART},
    )

    assert_problem(response, 400, "multipart")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_without_file_part_names_the_file_field(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    body = part("title", b"A report") + part("doc_type", b"other") + closing()

    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", content=body, headers={"Content-Type": MULTIPART}
    )

    problem = assert_problem(response, 422, "file")
    assert error_fields(problem) == {"file"}
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_two_file_parts_is_malformed(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    body = part("title", b"A report") + part("doc_type", b"other")
    body += part("file", PDF, filename=b"one.pdf") + part("file", PDF, filename=b"two.pdf")
    body += closing()

    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", content=body, headers={"Content-Type": MULTIPART}
    )

    assert_problem(response, 400, "exactly one")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_field_sent_twice_is_malformed(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    body = part("title", b"Licence") + part("title", b"Part A") + part("doc_type", b"other")
    body += part("file", PDF, filename=b"one.pdf") + closing()

    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", content=body, headers={"Content-Type": MULTIPART}
    )

    assert_problem(response, 400, "'title'", "more than once")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_file_under_another_part_name_is_malformed(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    body = part("title", b"A report") + part("doc_type", b"other")
    body += part("attachment", PDF, filename=b"one.pdf") + closing()

    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", content=body, headers={"Content-Type": MULTIPART}
    )

    assert_problem(response, 400, "attachment")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_missing_title_and_doc_type_lists_both(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents",
        files={"file": ("report.pdf", PDF, "application/pdf")},
    )

    body = assert_problem(response, 422, "title", "doc_type")
    assert error_fields(body) == {"title", "doc_type"}
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_blank_title_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await upload(caseworker.client, case["id"], PDF, title="   ")

    body = assert_problem(response, 422, "title")
    assert error_fields(body) == {"title"}
    await assert_nothing_stored(store, caseworker.client, case["id"])


@pytest.mark.parametrize("metadata", ["[1, 2]", "not json", '"a string"', "42"])
async def test_upload_metadata_not_an_object_is_refused(
    store: Store, caseworker: User, case: dict[str, Any], metadata: str
) -> None:
    response = await upload(caseworker.client, case["id"], PDF, metadata=metadata)

    body = assert_problem(response, 422, "metadata")
    assert error_fields(body) == {"metadata"}
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_metadata_with_operator_keys_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await upload(caseworker.client, case["id"], PDF, metadata='{"$where": "1"}')

    body = assert_problem(response, 422, "metadata")
    assert error_fields(body) == {"metadata"}
    await assert_nothing_stored(store, caseworker.client, case["id"])


@pytest.mark.parametrize(
    "filename", ["../../etc/passwd", "../report.pdf", "folder/report.pdf", "..", "."]
)
async def test_upload_filename_with_path_is_refused(
    store: Store, caseworker: User, case: dict[str, Any], filename: str
) -> None:
    response = await upload(caseworker.client, case["id"], PDF, filename)

    body = assert_problem(response, 422, "filename")
    assert error_fields(body) == {"file"}
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_filename_with_backslash_path_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    body = form(PDF, filename=b"..\\\\..\\\\windows\\\\evil.pdf")

    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", content=body, headers={"Content-Type": MULTIPART}
    )

    assert_problem(response, 422, "filename")
    await assert_nothing_stored(store, caseworker.client, case["id"])


@pytest.mark.parametrize(
    "filename",
    [b"bell\x07.pdf", b"nul\x00byte.pdf", b"tab\there.pdf", b"esc\x1b[31m.pdf", b"del\x7f.pdf"],
)
async def test_upload_filename_with_control_characters_is_refused(
    store: Store, caseworker: User, case: dict[str, Any], filename: bytes
) -> None:
    # httpx would percent-encode these, so the part is built by hand.
    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents",
        content=form(PDF, filename=filename),
        headers={"Content-Type": MULTIPART},
    )

    body = assert_problem(response, 422, "control characters")
    assert error_fields(body) == {"file"}
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_filename_with_bidi_override_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    # Displays as "reportexe.pdf" while really ending in ".exe".
    response = await upload(caseworker.client, case["id"], PDF, "report\u202efdp.exe")

    assert_problem(response, 422, "control characters")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_filename_of_300_unicode_characters_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    filename = "é" * 296 + ".pdf"

    response = await upload(caseworker.client, case["id"], PDF, filename)

    body = assert_problem(response, 422, "300", "255")
    assert error_fields(body) == {"file"}
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_filename_of_255_unicode_characters_is_kept(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    filename = "é" * 251 + ".pdf"

    response = await upload(caseworker.client, case["id"], PDF, filename)

    assert response.status_code == 201, response.text
    assert response.json()["versions"][0]["filename"] == filename


async def test_upload_part_without_filename_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    body = part("title", b"A report") + part("doc_type", b"other") + part("file", PDF)
    body += closing()

    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", content=body, headers={"Content-Type": MULTIPART}
    )

    assert_problem(response, 422, "no filename")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_small_executable_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    # Under the 64 KiB sniffing window, so the type is decided when the part ends.
    response = await upload(caseworker.client, case["id"], elf_executable(1000), "tool.pdf")

    assert_problem(response, 415, "not accepted")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_large_executable_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    # Past the sniffing window, so the type is decided while the bytes stream in.
    response = await upload(caseworker.client, case["id"], elf_executable(300_000), "tool.pdf")

    assert_problem(response, 415, "not accepted")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_over_the_limit_is_too_large(
    store: Store, small_client: httpx.AsyncClient, case: dict[str, Any]
) -> None:
    content = b"%PDF-1.4\n" + bytes(3 * SMALL_LIMIT)

    response = await upload(small_client, case["id"], content)

    assert_problem(response, 413, str(SMALL_LIMIT))
    await assert_nothing_stored(store, small_client, case["id"])


async def test_upload_over_the_limit_by_one_byte_is_too_large(
    store: Store, small_client: httpx.AsyncClient, case: dict[str, Any]
) -> None:
    content = b"%PDF-1.4\n" + bytes(SMALL_LIMIT - 8)

    response = await upload(small_client, case["id"], content)

    assert_problem(response, 413, str(SMALL_LIMIT))
    await assert_nothing_stored(store, small_client, case["id"])


async def test_upload_exactly_at_the_limit_is_accepted(
    store: Store, small_client: httpx.AsyncClient, case: dict[str, Any]
) -> None:
    content = b"%PDF-1.4\n" + bytes(SMALL_LIMIT - 9)

    response = await upload(small_client, case["id"], content)

    assert response.status_code == 201, response.text
    assert response.json()["versions"][0]["size"] == SMALL_LIMIT


async def test_upload_declared_length_over_the_limit_is_refused_before_reading(
    store: Store, small_client: httpx.AsyncClient, case: dict[str, Any]
) -> None:
    # Content-Length exceeds the limit plus the envelope allowance.
    content = b"%PDF-1.4\n" + bytes(2 * 1024 * 1024)

    response = await upload(small_client, case["id"], content)

    assert_problem(response, 413, "limit")
    await assert_nothing_stored(store, small_client, case["id"])


async def test_upload_huge_form_field_is_too_large(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    response = await upload(caseworker.client, case["id"], PDF, title="t" * 70_000)

    assert_problem(response, 413, "title")
    await assert_nothing_stored(store, caseworker.client, case["id"])


@pytest.mark.parametrize("case_id", ["0123456789abcdef01234567", "not-an-id"])
async def test_upload_to_unknown_case_is_not_found(
    store: Store, caseworker: User, case: dict[str, Any], case_id: str
) -> None:
    response = await upload(caseworker.client, case_id, PDF)

    assert_problem(response, 404, "case")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_by_viewer_is_forbidden(
    store: Store, make_user: MakeUser, caseworker: User, case: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")

    response = await upload(viewer.client, case["id"], PDF)

    assert_problem(response, 403, "viewer")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_by_other_team_is_not_found(
    store: Store, make_user: MakeUser, caseworker: User, case: dict[str, Any]
) -> None:
    stranger = await make_user("manager", team="elsewhere")

    response = await upload(stranger.client, case["id"], PDF)

    assert_problem(response, 404, "case")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_by_external_user_is_not_found(
    store: Store, make_user: MakeUser, caseworker: User, case: dict[str, Any]
) -> None:
    external = await make_user("caseworker", external=True, organisation="Solicitors LLP")

    response = await upload(external.client, case["id"], PDF)

    assert_problem(response, 404, "case")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_other_team_404_is_indistinguishable_from_unknown_case(
    make_user: MakeUser, case: dict[str, Any]
) -> None:
    stranger = await make_user("caseworker", team="elsewhere")
    unknown_id = "0123456789abcdef01234567"

    hidden = await upload(stranger.client, case["id"], PDF)
    absent = await upload(stranger.client, unknown_id, PDF)

    assert hidden.status_code == absent.status_code == 404
    hidden_body = {**hidden.json(), "detail": hidden.json()["detail"].replace(case["id"], "ID")}
    absent_body = {**absent.json(), "detail": absent.json()["detail"].replace(unknown_id, "ID")}
    assert hidden_body == absent_body


async def test_upload_without_credentials_is_unauthenticated(
    store: Store, app: Starlette, caseworker: User, case: dict[str, Any]
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t/api/v1") as anonymous:
        response = await upload(anonymous, case["id"], PDF)

    assert_problem(response, 401)
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def _wait_for(condition: Any, *, seconds: float = 30.0) -> bool:
    """Poll an async condition until it holds or the time runs out."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        if await condition():
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)


async def test_upload_client_disconnecting_midway_leaves_nothing(
    app: Starlette, store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    declared = 6 * 1024 * 1024
    sent = b"%PDF-1.4\n" + random.Random(2).randbytes(300_000)
    body_start = part("title", b"A report") + part("doc_type", b"other")
    body_start += part("file", sent, filename=b"big.pdf")[: -len(b"\r\n")]

    async with live_server(app) as base:
        url = urlsplit(base)
        _reader, writer = await asyncio.open_connection(url.hostname, url.port)
        head = (
            f"POST /api/v1/cases/{case['id']}/documents HTTP/1.1\r\n"
            f"Host: {url.netloc}\r\n"
            f"Authorization: Bearer {caseworker.token}\r\n"
            f"Content-Type: {MULTIPART}\r\n"
            f"Content-Length: {declared}\r\n\r\n"
        ).encode()
        try:
            writer.write(head + body_start)
            await writer.drain()

            # The upload really is under way: its marker and some chunks exist.
            async def staged() -> bool:
                chunks = await store.db["fs.chunks"].count_documents({})
                return chunks > 0 and await store.db["uploads_staging"].count_documents({}) == 1

            assert await _wait_for(staged)
        finally:
            # Hang up, as a browser closed mid-upload does.
            writer.close()
            await writer.wait_closed()

        async def cleaned() -> bool:
            staging = await store.db["uploads_staging"].count_documents({})
            chunks = await store.db["fs.chunks"].count_documents({})
            return staging == 0 and chunks == 0

        assert await _wait_for(cleaned)
        async with httpx.AsyncClient(base_url=base) as client:
            health = await client.get("/healthz")
        assert health.status_code == 200

    await assert_nothing_stored(store, caseworker.client, case["id"])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"comment": "x" * 1001}, "comment"),
        ({"comment": "a\x01\u202eb"}, "comment"),
        ({"bogus": "1"}, "bogus"),
        ({"revision": "99"}, "revision"),
        ({"shared_with_external": "true"}, "shared_with_external"),
    ],
    ids=["comment-too-long", "comment-control-characters", "unknown", "revision", "sharing"],
)
async def test_upload_with_a_bad_or_unknown_field_files_nothing(
    store: Store, caseworker: User, case: dict[str, Any], fields: dict[str, str], field: str
) -> None:
    response = await upload(caseworker.client, case["id"], PDF, **fields)

    assert field in error_fields(assert_problem(response, 422, field))
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_version_with_an_unknown_field_adds_nothing(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await caseworker.client.post(
        f"/documents/{document['id']}/versions",
        data={"comment": "fine", "checkin": "true"},
        files={"file": ("v2.pdf", PDF, "application/pdf")},
    )
    after = await caseworker.client.get(f"/documents/{document['id']}")

    assert "checkin" in error_fields(assert_problem(response, 422, "checkin"))
    assert after.json()["current_version"] == 1


async def test_upload_with_too_many_fields_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    body = b"".join(part(f"field{n}", b"v") for n in range(40)) + closing()

    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", content=body, headers={"Content-Type": MULTIPART}
    )

    assert_problem(response, 400, "more than 32 fields")
    await assert_nothing_stored(store, caseworker.client, case["id"])


async def test_upload_with_fields_too_large_in_total_is_refused(
    store: Store, caseworker: User, case: dict[str, Any]
) -> None:
    # Each field under its own limit, together past what a form may hold.
    body = b"".join(part(f"field{n}", b"v" * 60_000) for n in range(5)) + closing()

    response = await caseworker.client.post(
        f"/cases/{case['id']}/documents", content=body, headers={"Content-Type": MULTIPART}
    )

    assert_problem(response, 413, "fields")
    await assert_nothing_stored(store, caseworker.client, case["id"])
