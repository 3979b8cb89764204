"""Searching for a signed-in actor: their query, inside what the policy lets them see."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from records.actors import Actor
from records.policy import Action, require, visibility
from search import query
from search.errors import IndexUnavailable, MalformedQuery
from search.index import Scope, Search, TantivyIndex

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 10_000
HEALTH_TIMEOUT = 2.0


@dataclass(frozen=True)
class Request:
    text: str
    case_id: str | None = None
    doc_type: str | None = None
    all_versions: bool = False
    sort: str = "relevance"
    limit: int | None = None
    cursor: str | None = None


class SearchService:
    """The web process's side of search: a reader over the index, opened on first use."""

    def __init__(self, root: Path, tika_url: str | None) -> None:
        self.root = root
        self.tika_url = tika_url
        self._reader: TantivyIndex | None = None
        self._opening = threading.Lock()

    def reader(self) -> TantivyIndex:
        with self._opening:
            if self._reader is None:
                self._reader = TantivyIndex(self.root, writer=False)
            return self._reader

    async def search(self, actor: Actor, asked: Request) -> dict[str, Any]:
        require(actor, Action.SEARCH, what="document")
        wanted = _search_for(actor, asked)
        found = await asyncio.to_thread(self.reader().search, wanted)
        following = wanted.offset + len(found.hits)
        more = found.hits and following < found.total and following < MAX_OFFSET
        return {
            "total": found.total,
            "items": [
                {
                    "document_id": hit.document_id,
                    "version": hit.version,
                    "case_id": hit.case_id,
                    "title": hit.title,
                    "doc_type": hit.doc_type,
                    "score": hit.score,
                    "snippet": hit.snippet,
                }
                for hit in found.hits
            ],
            "next_cursor": str(following) if more else None,
        }

    async def problems(self) -> list[str]:
        """What is down: "extractor" and "search index", for /readyz."""
        down = []
        if not await self._extractor_answers():
            down.append("extractor")
        try:
            await asyncio.to_thread(self._index_answers)
        except (IndexUnavailable, ValueError, OSError):
            down.append("search index")
        return down

    async def _extractor_answers(self) -> bool:
        if self.tika_url is None:
            # Tika runs in the worker's subprocesses; here it is enough that it is installed.
            return importlib.util.find_spec("iscc_tika") is not None
        try:
            async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT) as client:
                answer = await client.get(f"{self.tika_url.rstrip('/')}/version")
        except httpx.HTTPError:
            return False
        return answer.status_code == 200

    def _index_answers(self) -> None:
        # A search that can match nothing still opens and reads the live index.
        self.reader().search(Search(query.parse("readiness"), Scope(teams=()), limit=1))


def _search_for(actor: Actor, asked: Request) -> Search:
    tree = query.parse(asked.text)
    seen = visibility(actor)
    if asked.sort not in ("relevance", "date"):
        raise MalformedQuery(f"sort must be relevance or date, not {asked.sort[:20]!r}")
    limit = DEFAULT_LIMIT if asked.limit is None else asked.limit
    if not 1 <= limit <= MAX_LIMIT:
        raise MalformedQuery(f"limit must be between 1 and {MAX_LIMIT}")
    return Search(
        tree=tree,
        scope=Scope(
            teams=seen.teams,
            case_ids=seen.case_ids,
            shared_only=seen.shared_only,
            also_case_ids=seen.also_case_ids,
            readers=seen.readers,
        ),
        all_versions=asked.all_versions,
        case_id=asked.case_id or None,
        doc_type=asked.doc_type or None,
        by_date=asked.sort == "date",
        limit=limit,
        offset=_offset(asked.cursor),
    )


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or int(cursor) > MAX_OFFSET:
        raise MalformedQuery("the cursor is not one this search gave out; start again without it")
    return int(cursor)
