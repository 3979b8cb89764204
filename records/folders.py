"""Folders: a tree inside each case, holding its documents."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from records import audit
from records.actors import Actor
from records.errors import Duplicate, InvalidInput
from records.policy import Action, require
from records.store import Store, iso
from records.validation import Fields

FOLDERS = "folders"
MAX_DEPTH = 8


async def create_folder(
    store: Store, actor: Actor, case: dict[str, Any], data: Any
) -> dict[str, Any]:
    require(actor, Action.CASE_WRITE, case, what="case")
    fields = Fields(data)
    fields.unknown({"name", "parent_id"})
    name = fields.text("name", max_length=120)
    parent_id = fields.text("parent_id", required=False, max_length=64)
    if name and ("/" in name or name in (".", "..")):
        fields.fail("name", "must not contain '/' or be '.' or '..'")
    fields.check()

    parent = await _parent(store, case["_id"], parent_id) if parent_id else None
    folder = {
        "case_id": case["_id"],
        "parent_id": parent["_id"] if parent else None,
        "name": name,
        "depth": parent["depth"] + 1 if parent else 0,
        "created_at": store.now(),
        "created_by": actor.username,
    }
    if folder["depth"] >= MAX_DEPTH:
        raise InvalidInput.field("parent_id", f"folders nest at most {MAX_DEPTH} deep")
    try:
        result = await store.db[FOLDERS].insert_one(folder)
    except DuplicateKeyError as exc:
        raise Duplicate(f"this folder already holds a folder named {name!r}") from exc

    await audit.record(
        store,
        actor,
        "folder.create",
        f"folder:{result.inserted_id}",
        case_id=case["_id"],
        detail={"name": name},
    )
    return folder


async def _parent(store: Store, case_id: ObjectId, parent_id: str) -> dict[str, Any]:
    found = None
    if ObjectId.is_valid(parent_id):
        found = await store.db[FOLDERS].find_one({"_id": ObjectId(parent_id), "case_id": case_id})
    if found is None:
        raise InvalidInput.field("parent_id", "no folder of this case has that id")
    return found


async def folder_in_case(store: Store, case_id: ObjectId, folder_id: str) -> ObjectId:
    """The folder's id if it belongs to the case; InvalidInput otherwise."""
    found = None
    if ObjectId.is_valid(folder_id):
        found = await store.db[FOLDERS].find_one({"_id": ObjectId(folder_id), "case_id": case_id})
    if found is None:
        raise InvalidInput.field("folder_id", "no folder of this case has that id")
    return ObjectId(folder_id)


async def list_folders(store: Store, case_id: ObjectId) -> list[dict[str, Any]]:
    return await store.db[FOLDERS].find({"case_id": case_id}).sort("_id", 1).to_list()


def folder_view(folder: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(folder["_id"]),
        "case_id": str(folder["case_id"]),
        "parent_id": str(folder["parent_id"]) if folder.get("parent_id") else None,
        "name": folder["name"],
        "created_at": iso(folder["created_at"]),
    }
