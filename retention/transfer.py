"""Transfer: approved records written out as a BagIt package (RFC 8493).

Each document becomes data/<document id>/ with every version's bytes and a
metadata.json; the `bagit` library (Library of Congress) writes the
SHA-256 manifests and bag-info.txt. The bag is made in a scratch folder and
moved into place whole, so a package on disk is always complete.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import bagit
from bson import ObjectId

from records import files
from records.cases import CASES
from records.documents import DOCUMENTS
from records.offenders import IDENTIFIERS, OFFENDERS
from records.store import Store, iso
from retention import current

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def package_path(data_dir: Path, run_id: ObjectId) -> Path:
    return data_dir / "transfers" / f"run-{run_id}"


def _filename(number: int, name: str) -> str:
    cleaned = _UNSAFE.sub("_", name).strip("._") or "file"
    return f"v{number}-{cleaned[:120]}"


async def _metadata(store: Store, document: dict[str, Any]) -> dict[str, Any]:
    case = await store.db[CASES].find_one({"_id": document["case_id"]}) or {}
    offender = await store.db[OFFENDERS].find_one({"_id": case.get("offender_id")}) or {}
    disposition = await current.disposition_of(store, document)
    return {
        "document_id": str(document["_id"]),
        "title": document["title"],
        "doc_type": document["doc_type"],
        "document_date": document.get("document_date"),
        "protective_marking": document["protective_marking"],
        "metadata": document.get("metadata") or {},
        "case": {
            "id": str(case.get("_id")),
            "title": case.get("title"),
            "case_type": case.get("case_type"),
        },
        "offender": {
            name: offender.get(name)
            for name in ("family_name", "given_names", "date_of_birth", *IDENTIFIERS)
        },
        "rule": disposition.get("rule"),
        "versions": [
            {
                "number": v["number"],
                "file": _filename(v["number"], v["filename"]),
                "filename": v["filename"],
                "media_type": v["media_type"],
                "size": v["size"],
                "sha256": v["sha256"],
                "created_at": iso(v["created_at"]),
                "created_by": v["created_by"],
            }
            for v in document["versions"]
        ],
    }


async def write_package(
    store: Store, data_dir: Path, run: dict[str, Any], document_ids: list[ObjectId]
) -> Path:
    """The run's bag on disk, holding the given documents; its path."""
    target = package_path(data_dir, run["_id"])
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".bag-", dir=target.parent) as scratch:
        bag_dir = Path(scratch) / "bag"
        bag_dir.mkdir()
        for document_id in document_ids:
            document = await store.db[DOCUMENTS].find_one({"_id": document_id})
            if document is None:
                continue
            folder = bag_dir / str(document_id)
            folder.mkdir()
            for version in document["versions"]:
                with (folder / _filename(version["number"], version["filename"])).open("wb") as out:
                    await files.copy_version(store, version, out)
            meta = await _metadata(store, document)
            (folder / "metadata.json").write_text(
                json.dumps(meta, indent=2, ensure_ascii=False, default=str)
            )
        bagit.make_bag(
            str(bag_dir),
            bag_info={
                "Source-Organization": "PPUD",
                "External-Identifier": f"retention-run-{run['_id']}",
                "Internal-Sender-Description": (
                    f"approved by {run['approved_by']}, proposed by {run['proposed_by']}"
                ),
            },
            checksums=["sha256"],
        )
        if target.exists():
            shutil.rmtree(target)
        os.replace(bag_dir, target)
    return target
