"""Full-text search over every document version the caller may see."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from search import service
from search.errors import MalformedQuery
from server.auth import authenticate
from server.state import services

_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


async def search_documents(request: Request) -> Response:
    """
    summary: Search document text, titles and file names
    tags: [search]
    parameters:
      - {name: q, in: query, required: true, schema: {type: string, maxLength: 500}, description: 'words, "phrases", AND/OR/NOT, prefix*, type:, case:, marking:, title:, filename:, date:YYYY-MM-DD..YYYY-MM-DD'}
      - {name: case_id, in: query, schema: {type: string}}
      - {name: doc_type, in: query, schema: {type: string}}
      - {name: all_versions, in: query, schema: {type: boolean, default: false}}
      - {name: sort, in: query, schema: {type: string, enum: [relevance, date], default: relevance}}
      - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100, default: 20}}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: 'Matches: {total, items: [{document_id, version, case_id, title, doc_type, score, snippet}], next_cursor}'}
      400: {description: The search cannot be understood; the detail says why}
    """
    actor = await authenticate(request)
    params = request.query_params
    for name in ("q", "case_id", "doc_type", "sort", "cursor", "all_versions", "limit"):
        if len(params.getlist(name)) > 1:
            raise MalformedQuery(f"give {name} once, not {len(params.getlist(name))} times")
    asked = service.Request(
        text=params.get("q", ""),
        case_id=params.get("case_id"),
        doc_type=params.get("doc_type"),
        all_versions=_flag(params.get("all_versions", "")),
        sort=params.get("sort") or "relevance",
        limit=_limit(params.get("limit")),
        cursor=params.get("cursor"),
    )
    found = await services(request).search.search(actor, asked)
    return JSONResponse(found)


def _limit(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        raise MalformedQuery(f"limit must be between 1 and {service.MAX_LIMIT}")
    return int(raw)


def _flag(raw: str) -> bool:
    lowered = raw.lower()
    if lowered not in (*_TRUE, *_FALSE):
        raise MalformedQuery(f"all_versions must be true or false, not {raw[:20]!r}")
    return lowered in _TRUE


routes = [Route("/search", search_documents, methods=["GET"])]
