"""Extracted text, kept compressed beside the versions so the index can be rebuilt."""

from __future__ import annotations

import zlib
from typing import Any

from bson import Binary, ObjectId

from records.store import Store

TEXTS = "version_texts"


def text_key(document_id: ObjectId | str, version: int) -> str:
    return f"{document_id}:{version}"


async def save_text(
    store: Store, document_id: ObjectId, version: int, sha256: str, text: str
) -> None:
    packed = zlib.compress(text.encode("utf-8", "replace"), 6)
    await store.db[TEXTS].replace_one(
        {"_id": text_key(document_id, version)},
        {
            "document_id": document_id,
            "version": version,
            "sha256": sha256,
            "chars": len(text),
            "text": Binary(packed),
        },
        upsert=True,
    )


async def load_texts(store: Store, document_id: ObjectId) -> dict[int, str]:
    """Each version's stored text, by version number."""
    found: dict[int, str] = {}
    async for record in store.db[TEXTS].find({"document_id": document_id}):
        found[int(record["version"])] = _unpack(record)
    return found


def _unpack(record: dict[str, Any]) -> str:
    return zlib.decompress(bytes(record["text"])).decode("utf-8", "replace")
