"""Every sample document goes in through the API and comes back byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from records.store import Store
from tests.conftest import CORPUS, User, upload

# Every file, the README, LICENSE and files.json included: a caseworker may file
# any of them, and records/media.py refuses only executables, of which there are none.
FILES = sorted(path for path in CORPUS.rglob("*") if path.is_file())

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": DOCX,
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".rtf": "text/rtf",
    ".msg": "application/vnd.ms-outlook",
    ".eml": "message/rfc822",
    ".html": "text/html",
    ".txt": "text/plain",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".md": "text/markdown",
    ".json": "application/json",
    "": "text/plain",
}
# A password-protected .docx is an OLE container around the encrypted package,
# not a ZIP, and libmagic names it for what it is.
MEDIA_TYPE_OF = {"testWORD_protected_passtika.docx": "application/encrypted"}


def expected_media_type(path: Path) -> str:
    return MEDIA_TYPE_OF.get(path.name) or MEDIA_TYPES[path.suffix.lower()]


def test_corpus_has_both_collections() -> None:
    # Guards the parametrised test below against silently running over nothing.
    folders = {path.relative_to(CORPUS).parts[0] for path in FILES}

    assert {"pdf-samples", "office"} <= folders
    assert all(path.suffix.lower() in MEDIA_TYPES for path in FILES)


@pytest.fixture
def content(path: Path) -> bytes:
    """The file's bytes, read outside the event loop."""
    return path.read_bytes()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
async def test_corpus_file_round_trips_byte_identical(
    store: Store, caseworker: User, case: dict[str, Any], path: Path, content: bytes
) -> None:
    sha256 = hashlib.sha256(content).hexdigest()

    uploaded = await upload(caseworker.client, case["id"], content, path.name)
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    downloaded = await caseworker.client.get(f"/documents/{document['id']}/content")

    version = document["versions"][0]
    assert version["filename"] == path.name
    assert version["sha256"] == sha256
    assert version["size"] == len(content)
    assert version["media_type"] == expected_media_type(path)
    assert downloaded.status_code == 200, downloaded.headers
    assert downloaded.content == content
    assert downloaded.headers["etag"] == f'"{sha256}"'
    assert downloaded.headers["content-length"] == str(len(content))
    # The GridFS record agrees with what the API reported.
    stored = await store.db["fs.files"].find_one({"filename": path.name})
    assert stored is not None
    assert stored["length"] == len(content)
    assert stored["metadata"]["sha256"] == sha256
    assert await store.db["uploads_staging"].count_documents({}) == 0
