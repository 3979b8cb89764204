"""Downloading version bytes: whole, by range, conditionally, under any filename."""

from __future__ import annotations

import email.message
import email.utils
import hashlib
import random
import re
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from bson import ObjectId

from records.store import Store
from tests.conftest import CORPUS, MakeUser, User, upload

PDF = (CORPUS / "pdf-samples" / "001-trivial" / "minimal-document.pdf").read_bytes()
# Several of the test store's 64 KiB chunks, so ranges cross chunk boundaries.
CHUNK = 64 * 1024
BIG = b"%PDF-1.4\n" + random.Random(7).randbytes(300_000)
SIZE = len(BIG)
BOUNDARY = "ppud-content-boundary-41c2"


def said(response: httpx.Response) -> str:
    """What to print when a download assertion fails: the problem, never the bytes."""
    if "json" in response.headers.get("content-type", ""):
        return response.text
    return f"{response.status_code} {dict(response.headers)}"


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """A problem+json answer whose detail is a sentence naming what went wrong."""
    assert response.status_code == status, said(response)
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["status"] == status
    detail = body["detail"]
    assert isinstance(detail, str) and len(detail) >= 10
    for word in words:
        assert word.lower() in detail.lower(), detail
    return body


def url(document: dict[str, Any], number: int | str | None = None) -> str:
    if number is None:
        return f"/documents/{document['id']}/content"
    return f"/documents/{document['id']}/versions/{number}/content"


def etag_of(content: bytes) -> str:
    return f'"{hashlib.sha256(content).hexdigest()}"'


async def downloads(store: Store, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's version.download audit events, oldest first."""
    found = store.db["audit"].find(
        {"action": "version.download", "target": f"document:{document['id']}"}
    )
    return [event async for event in found.sort("_id", 1)]


async def upload_named(client: httpx.AsyncClient, case_id: str, filename: str) -> httpx.Response:
    """Upload PDF under filename, escaped in the part header as RFC 7578 §4.2 quotes it.

    httpx would percent-encode '"' (the HTML form convention), so the stored
    name would not be the one meant; a backslash escape keeps it exact.
    """
    quoted = filename.encode().replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    body = b""
    for name, value in (("title", b"A report"), ("doc_type", b"other")):
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value + b"\r\n"
    body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
    body += quoted + b'"\r\nContent-Type: application/pdf\r\n\r\n' + PDF + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return await client.post(
        f"/cases/{case_id}/documents",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def disposition_params(header: str) -> list[tuple[str, Any]]:
    """Content-Disposition as the standard library's MIME parser reads it."""
    message = email.message.Message()
    message["Content-Disposition"] = header
    params = message.get_params(header="content-disposition")
    assert params is not None, header
    return list(params)


@pytest.fixture
async def big_document(caseworker: User, case: dict[str, Any]) -> dict[str, Any]:
    response = await upload(caseworker.client, case["id"], BIG, "bundle.pdf")
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_content_full_download_is_byte_identical_with_its_headers(
    caseworker: User, document: dict[str, Any]
) -> None:
    version = document["versions"][0]

    response = await caseworker.client.get(url(document))

    assert response.status_code == 200, said(response)
    assert response.content == PDF
    assert response.headers["content-type"].split(";")[0] == version["media_type"]
    assert version["media_type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(PDF))
    assert response.headers["etag"] == etag_of(PDF) == f'"{version["sha256"]}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert "content-range" not in response.headers


async def test_content_file_of_several_chunks_is_byte_identical(
    store: Store, caseworker: User, big_document: dict[str, Any]
) -> None:
    response = await caseworker.client.get(url(big_document))

    assert response.status_code == 200, said(response)
    assert response.content == BIG
    assert response.headers["content-length"] == str(SIZE)
    assert response.headers["etag"] == etag_of(BIG)
    # The download really was reassembled from several chunks.
    assert await store.db["fs.chunks"].count_documents({}) == -(-SIZE // CHUNK)


async def test_content_small_file_whose_bytes_are_missing_is_a_problem_not_a_cut_off_file(
    store: Store, caseworker: User, document: dict[str, Any]
) -> None:
    # A small file is read whole before the answer starts, so a lost chunk is
    # reported as a problem instead of a 200 that ends early.
    stored = await store.db["documents"].find_one({"_id": ObjectId(document["id"])})
    assert stored is not None
    file_id = stored["versions"][0]["file_id"]
    await store.db["fs.chunks"].delete_many({"files_id": file_id})

    response = await caseworker.client.get(url(document))

    assert_problem(response, 500, "chunk 0", "missing")
    assert (await caseworker.client.get("/healthz")).status_code == 200


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, SIZE - 1),
        ("bytes=-50", SIZE - 50, SIZE - 1),
        (f"bytes=-{SIZE * 2}", 0, SIZE - 1),
        (f"bytes=1000-{SIZE + 5000}", 1000, SIZE - 1),
        ("bytes=0-0", 0, 0),
        (f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE - 1),
        (f"bytes={CHUNK - 1}-{CHUNK}", CHUNK - 1, CHUNK),
        (f"bytes={CHUNK}-{2 * CHUNK - 1}", CHUNK, 2 * CHUNK - 1),
        (f"bytes=65000-{3 * CHUNK + 100}", 65000, 3 * CHUNK + 100),
    ],
    ids=[
        "first-100",
        "open-ended",
        "suffix",
        "suffix-longer-than-file",
        "end-past-file",
        "first-byte",
        "last-byte",
        "straddling-one-boundary",
        "exactly-one-chunk",
        "across-three-boundaries",
    ],
)
async def test_content_range_is_partial_content(
    caseworker: User, big_document: dict[str, Any], header: str, start: int, end: int
) -> None:
    response = await caseworker.client.get(url(big_document), headers={"Range": header})

    assert response.status_code == 206, said(response)
    assert response.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.content == BIG[start : end + 1]
    assert response.headers["etag"] == etag_of(BIG)
    assert response.headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize(
    "header",
    [f"bytes={SIZE}-", f"bytes={SIZE + 100}-{SIZE + 200}", "bytes=-0", "bytes=" + "9" * 5000 + "-"],
    ids=["starting-at-size", "wholly-past-end", "empty-suffix", "5000-digit-start"],
)
async def test_content_range_outside_the_file_is_unsatisfiable(
    caseworker: User, big_document: dict[str, Any], header: str
) -> None:
    response = await caseworker.client.get(url(big_document), headers={"Range": header})

    assert_problem(response, 416, str(SIZE))
    assert response.headers["content-range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize(
    ("header", "first"),
    [("bytes=0-" + "9" * 5000, 0), ("bytes=-" + "9" * 5000, 0), ("bytes=10-" + "9" * 19, 10)],
    ids=["5000-digit-end", "5000-digit-suffix", "19-digit-end"],
)
async def test_content_range_with_an_enormous_number_reaches_the_end_of_the_file(
    caseworker: User, big_document: dict[str, Any], header: str, first: int
) -> None:
    # Python's int() refuses over 4,300 digits; the header is still a valid range.
    response = await caseworker.client.get(url(big_document), headers={"Range": header})

    assert response.status_code == 206, said(response)
    assert response.headers["content-range"] == f"bytes {first}-{SIZE - 1}/{SIZE}"
    assert response.content == BIG[first:]


@pytest.mark.parametrize(
    "header",
    ["bytes=abc", "items=0-1", "bytes=0-1,5-6", "bytes=", "bytes=-", "bytes=9-5", "0-99"],
    ids=["not-numbers", "other-unit", "multi-range", "empty", "dash-only", "reversed", "no-unit"],
)
async def test_content_range_malformed_or_multiple_is_ignored(
    caseworker: User, big_document: dict[str, Any], header: str
) -> None:
    # RFC 9110 §14.2: a server may ignore a Range it cannot or will not serve.
    response = await caseworker.client.get(url(big_document), headers={"Range": header})

    assert response.status_code == 200, said(response)
    assert response.content == BIG
    assert "content-range" not in response.headers


async def test_content_if_range_matching_the_etag_honours_the_range(
    caseworker: User, big_document: dict[str, Any]
) -> None:
    headers = {"Range": "bytes=10-19", "If-Range": etag_of(BIG)}

    response = await caseworker.client.get(url(big_document), headers=headers)

    assert response.status_code == 206, said(response)
    assert response.content == BIG[10:20]


@pytest.mark.parametrize(
    "if_range",
    [etag_of(PDF), f"W/{etag_of(BIG)}", "Tue, 03 Mar 2026 10:00:00 GMT"],
    ids=["other-etag", "weak-etag", "date"],
)
async def test_content_if_range_not_matching_sends_the_whole_file(
    caseworker: User, big_document: dict[str, Any], if_range: str
) -> None:
    # If-Range needs a strong match (RFC 9110 §13.1.5); otherwise the file has changed.
    headers = {"Range": "bytes=10-19", "If-Range": if_range}

    response = await caseworker.client.get(url(big_document), headers=headers)

    assert response.status_code == 200, said(response)
    assert response.content == BIG
    assert "content-range" not in response.headers


@pytest.mark.parametrize(
    "if_none_match",
    [etag_of(PDF), f'"other", {etag_of(PDF)}', f"W/{etag_of(PDF)}", "*"],
    ids=["exact", "in-a-list", "weak", "any"],
)
async def test_content_if_none_match_is_not_modified(
    caseworker: User, document: dict[str, Any], if_none_match: str
) -> None:
    # If-None-Match uses the weak comparison, and "*" matches any current file (§13.1.2).
    headers = {"If-None-Match": if_none_match}

    response = await caseworker.client.get(url(document), headers=headers)

    assert response.status_code == 304, said(response)
    assert response.content == b""
    assert response.headers["etag"] == etag_of(PDF)


async def test_content_if_none_match_of_another_etag_sends_the_file(
    caseworker: User, document: dict[str, Any]
) -> None:
    headers = {"If-None-Match": etag_of(BIG)}

    response = await caseworker.client.get(url(document), headers=headers)

    assert response.status_code == 200, said(response)
    assert response.content == PDF


@pytest.mark.parametrize("headers", [{}, {"Range": "bytes=10-19"}], ids=["whole", "range"])
async def test_content_head_answers_the_get_headers_without_the_bytes(
    caseworker: User, big_document: dict[str, Any], headers: dict[str, str]
) -> None:
    got = await caseworker.client.get(url(big_document), headers=headers)
    head = await caseworker.client.head(url(big_document), headers=headers)

    assert head.status_code == got.status_code
    assert head.content == b""
    # Everything but the per-request id is the same as the GET's.
    del got.headers["x-request-id"], head.headers["x-request-id"]
    assert dict(head.headers) == dict(got.headers)


async def test_content_each_version_serves_its_own_bytes(
    caseworker: User, document: dict[str, Any]
) -> None:
    second = b"%PDF-1.4\n% the second version\n" + bytes(500)
    added = await caseworker.client.post(
        f"/documents/{document['id']}/versions",
        files={"file": ("second.pdf", second, "application/pdf")},
    )
    assert added.status_code == 201, added.text

    first_response = await caseworker.client.get(url(document, 1))
    second_response = await caseworker.client.get(url(document, 2))
    current_response = await caseworker.client.get(url(document))

    assert first_response.content == PDF
    assert first_response.headers["etag"] == etag_of(PDF)
    assert second_response.content == second
    assert second_response.headers["etag"] == etag_of(second)
    assert current_response.content == second
    assert "second.pdf" in second_response.headers["content-disposition"]


async def test_content_version_route_serves_ranges(
    caseworker: User, big_document: dict[str, Any]
) -> None:
    response = await caseworker.client.get(url(big_document, 1), headers={"Range": "bytes=-10"})

    assert response.status_code == 206, said(response)
    assert response.content == BIG[-10:]
    assert response.headers["content-range"] == f"bytes {SIZE - 10}-{SIZE - 1}/{SIZE}"


@pytest.mark.parametrize("number", ["2", "0", "99999999999999999999"])
async def test_content_version_that_does_not_exist_is_not_found(
    caseworker: User, document: dict[str, Any], number: str
) -> None:
    response = await caseworker.client.get(url(document, number))

    assert_problem(response, 404, "version")


@pytest.mark.parametrize("number", ["abc", "-1", "1.0", "1e0", "%201"])
async def test_content_version_that_is_not_a_number_is_not_found(
    caseworker: User, document: dict[str, Any], number: str
) -> None:
    response = await caseworker.client.get(url(document, number))

    assert_problem(response, 404, "version")


async def test_content_version_in_superscript_digits_is_not_found(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await caseworker.client.get(url(document, "%C2%B2"))

    assert_problem(response, 404, "version")


@pytest.mark.parametrize("document_id", ["0123456789abcdef01234567", "not-an-id"])
async def test_content_of_unknown_document_is_not_found(
    caseworker: User, document: dict[str, Any], document_id: str
) -> None:
    response = await caseworker.client.get(f"/documents/{document_id}/content")

    assert_problem(response, 404, "document")


@pytest.mark.parametrize(
    "filename",
    [
        'the "final" report.pdf',
        "notes; filename=evil.exe; x=.pdf",
        "Résumé – 报告.pdf",  # noqa: RUF001 - the non-ASCII dash is the point
        "报告",
        "📄 dossier.pdf",
        "100% done %41%2F.pdf",
        "it's, = * ' `odd`.pdf",
        "é" * 251 + ".pdf",
    ],
    ids=[
        "double-quotes",
        "semicolons",
        "non-ascii",
        "no-ascii-at-all",
        "astral-emoji",
        "percent-signs",
        "punctuation",
        "255-characters",
    ],
)
async def test_content_disposition_survives_a_hostile_filename(
    caseworker: User, case: dict[str, Any], filename: str
) -> None:
    uploaded = await upload_named(caseworker.client, case["id"], filename)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["versions"][0]["filename"] == filename

    response = await caseworker.client.get(url(uploaded.json()))

    assert response.status_code == 200, said(response)
    header = response.headers["content-disposition"]
    assert header.isascii() and header.isprintable()
    # Exactly the disposition, the fallback and filename*: nothing the name smuggled in.
    kind, fallback, extended = disposition_params(header)
    assert kind == ("attachment", "")
    assert fallback[0] == "filename" and fallback[1]
    assert re.fullmatch(r"[ -~]+", fallback[1]) and '"' not in fallback[1]
    assert extended[0] == "filename" and isinstance(extended[1], tuple)
    assert extended[1][0].upper() == "UTF-8"
    assert email.utils.collapse_rfc2231_value(extended[1]) == filename
    # Read by hand too, as a browser does: RFC 8187 percent-decoding of the raw value.
    raw = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    assert raw is not None and unquote(raw.group(1), errors="strict") == filename


async def test_content_disposition_keeps_the_nfc_form_of_a_decomposed_filename(
    caseworker: User, case: dict[str, Any]
) -> None:
    decomposed = "Re\u0301sume\u0301.pdf"

    uploaded = await upload_named(caseworker.client, case["id"], decomposed)
    response = await caseworker.client.get(url(uploaded.json()))

    assert uploaded.status_code == 201, uploaded.text
    stored = uploaded.json()["versions"][0]["filename"]
    assert stored == "Résumé.pdf"
    raw = re.search(r"filename\*=UTF-8''([^;\s]+)", response.headers["content-disposition"])
    assert raw is not None and unquote(raw.group(1)) == stored
    assert 'filename="Resume.pdf"' in response.headers["content-disposition"]


async def test_content_filename_of_300_characters_is_refused_at_upload(
    caseworker: User, case: dict[str, Any]
) -> None:
    # records/media.py check_filename counts characters (after NFC), not bytes.
    response = await upload_named(caseworker.client, case["id"], "报" * 296 + ".pdf")

    assert_problem(response, 422, "300", "255")


async def test_content_carries_security_headers_on_every_answer(
    caseworker: User, big_document: dict[str, Any]
) -> None:
    whole = await caseworker.client.get(url(big_document))
    part = await caseworker.client.get(url(big_document), headers={"Range": "bytes=0-9"})

    for response in (whole, part):
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = [d.strip() for d in response.headers["content-security-policy"].split(";")]
        assert "sandbox" in policy
        assert "default-src 'none'" in policy


async def test_content_html_upload_is_an_attachment_in_a_sandbox(
    caseworker: User, case: dict[str, Any]
) -> None:
    # An uploaded page must never run as a page of this site.
    page = (CORPUS / "office" / "testHTML.html").read_bytes()
    uploaded = await upload(caseworker.client, case["id"], page, "page.html")
    assert uploaded.status_code == 201, uploaded.text

    response = await caseworker.client.get(url(uploaded.json()))

    assert response.content == page
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_content_every_download_is_audited(
    store: Store, caseworker: User, big_document: dict[str, Any]
) -> None:
    before = len(await downloads(store, big_document))

    await caseworker.client.get(url(big_document))
    await caseworker.client.get(url(big_document), headers={"Range": "bytes=0-9"})
    await caseworker.client.get(url(big_document, 1), headers={"Range": "bytes=-5"})

    events = await downloads(store, big_document)
    assert len(events) == before + 3
    size = big_document["versions"][0]["size"]
    # A partial download names the bytes that went out.
    assert [event["detail"] for event in events[before:]] == [
        {"version": 1},
        {"version": 1, "range": "0-9"},
        {"version": 1, "range": f"{size - 5}-{size - 1}"},
    ]
    for event in events[before:]:
        assert event["user"] == caseworker.username
        assert str(event["document_id"]) == big_document["id"]
        assert event["ip"] == "198.51.100.7"


async def test_content_answers_that_send_no_bytes_are_not_audited_as_downloads(
    store: Store, caseworker: User, big_document: dict[str, Any]
) -> None:
    etag = big_document["versions"][0]["sha256"]
    before = len(await downloads(store, big_document))

    unchanged = await caseworker.client.get(
        url(big_document), headers={"If-None-Match": f'"{etag}"'}
    )
    outside = await caseworker.client.get(url(big_document), headers={"Range": "bytes=999999999-"})
    headers_only = await caseworker.client.head(url(big_document))

    assert (unchanged.status_code, outside.status_code, headers_only.status_code) == (304, 416, 200)
    assert len(await downloads(store, big_document)) == before


async def test_content_text_keeps_its_type_without_an_invented_charset(
    caseworker: User, case: dict[str, Any]
) -> None:
    latin1 = "Caf\xe9 au lait, r\xe9sum\xe9 d\xe9taill\xe9.\n".encode("latin-1")
    uploaded = await upload(caseworker.client, case["id"], latin1, "notes.txt")
    assert uploaded.status_code == 201, said(uploaded)

    response = await caseworker.client.get(url(uploaded.json()))

    # The bytes are Latin-1; claiming UTF-8 would garble them in a browser.
    assert response.headers["content-type"] == "text/plain"
    assert response.content == latin1


async def test_content_download_event_is_visible_in_the_audit_trail(
    caseworker: User, document: dict[str, Any]
) -> None:
    await caseworker.client.get(url(document))

    response = await caseworker.client.get("/audit", params={"document_id": document["id"]})

    assert response.status_code == 200, said(response)
    actions = [event["action"] for event in response.json()["items"]]
    assert actions.count("version.download") == 1


async def test_content_viewer_of_the_team_may_download(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")

    response = await viewer.client.get(url(document))

    assert response.status_code == 200, said(response)
    assert response.content == PDF


@pytest.mark.parametrize(
    ("level", "extra"),
    [
        ("manager", {"team": "elsewhere"}),
        ("viewer", {"team": "elsewhere"}),
        ("caseworker", {"external": True, "organisation": "Solicitors LLP"}),
    ],
    ids=["manager-of-another-team", "viewer-of-another-team", "external-user"],
)
async def test_content_outsider_is_not_found_and_not_audited(
    store: Store,
    make_user: MakeUser,
    document: dict[str, Any],
    level: str,
    extra: dict[str, Any],
) -> None:
    outsider = await make_user(level, **extra)

    whole = await outsider.client.get(url(document))
    version = await outsider.client.get(url(document, 1))

    assert_problem(whole, 404, "document")
    assert_problem(version, 404, "document")
    assert PDF not in whole.content
    assert await downloads(store, document) == []


async def test_content_outsider_404_reads_as_an_unknown_document(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    stranger = await make_user("caseworker", team="elsewhere")
    unknown = "0123456789abcdef01234567"

    hidden = await stranger.client.get(url(document))
    absent = await stranger.client.get(f"/documents/{unknown}/content")

    assert hidden.status_code == absent.status_code == 404
    hidden_detail = hidden.json()["detail"].replace(document["id"], "ID")
    assert hidden_detail == absent.json()["detail"].replace(unknown, "ID")


async def test_content_without_credentials_is_unauthenticated(
    anonymous: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    response = await anonymous.get(f"/api/v1{url(document)}")

    assert_problem(response, 401)
