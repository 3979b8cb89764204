"""Cursor paging over any collection, in insertion (ObjectId) order."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from records.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(last_id: ObjectId) -> str:
    return base64.urlsafe_b64encode(last_id.binary).decode().rstrip("=")


def decode_cursor(cursor: str) -> ObjectId:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return ObjectId(raw)
    except (binascii.Error, InvalidId, TypeError, ValueError) as exc:
        raise InvalidInput.field("cursor", "is not a cursor this server issued") from exc


async def page(
    collection: AsyncCollection[dict[str, Any]],
    query: dict[str, Any],
    *,
    limit: int | None = None,
    cursor: str | None = None,
    newest_first: bool = False,
) -> Page:
    """One page of query's matches; next_cursor is None on the last page."""
    size = check_limit(limit)
    if cursor:
        after = {"$lt" if newest_first else "$gt": decode_cursor(cursor)}
        # A flat filter where it can be: SecantusDB plans no index for one with a
        # top-level $and, and would scan the collection for every page after the first.
        flat = "_id" not in query and not any(key.startswith("$") for key in query)
        query = query | {"_id": after} if flat else {"$and": [query, {"_id": after}]}

    order = DESCENDING if newest_first else ASCENDING
    found = await collection.find(query).sort("_id", order).limit(size + 1).to_list()

    more = len(found) > size
    items = found[:size]
    return Page(items, encode_cursor(items[-1]["_id"]) if more else None)


# An export reads at most this many rows: more belongs in a report, not a list.
EXPORT_LIMIT = 10_000


async def every_page(
    fetch: Callable[[str | None], Awaitable[Page]], *, most: int = EXPORT_LIMIT
) -> list[dict[str, Any]]:
    """The items of a paged listing, page after page, up to most: a list page exported."""
    items: list[dict[str, Any]] = []
    cursor = None
    while len(items) < most:
        found = await fetch(cursor)
        items.extend(found.items)
        cursor = found.next_cursor
        if cursor is None:
            break
    return items[:most]
