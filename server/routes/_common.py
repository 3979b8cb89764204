"""Small helpers every route module shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from records import documents
from records.errors import InvalidInput, MalformedInput, TooLarge
from records.paging import Page
from records.validation import parse_json

MAX_JSON_BYTES = 1024 * 1024


async def read_json(request: Request) -> Any:
    """The parsed JSON body, or MalformedInput saying what is wrong."""
    body = await read_body(request, limit=MAX_JSON_BYTES, what="JSON bodies")
    if not body.strip():
        raise MalformedInput("the request needs a JSON body")
    return parse_json(body, what="the body")


async def read_body(request: Request, *, limit: int, what: str) -> bytes:
    """The whole body, refused as soon as it passes limit rather than after it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"{what} are limited to {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"{what} are limited to {limit} bytes")
    return bytes(body)


def optional_if_match(request: Request) -> int | None:
    """The revision in an If-Match header where the route does not require one; None without."""
    header = request.headers.get("if-match")
    return documents.parse_if_match(header) if header is not None else None


def query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    # ASCII digits only: int() also reads Arabic-Indic digits and thousands of digits.
    if not (raw.isascii() and raw.lstrip("-").isdigit() and len(raw) <= 18):
        raise InvalidInput.field(name, f"must be a whole number, not {raw[:20]!r}")
    return int(raw)


def query_flag(request: Request, name: str, *, default: bool = False) -> bool:
    """A true/false query parameter; anything else is refused rather than read as false."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise InvalidInput.field(name, f"must be true or false, not {raw[:20]!r}")
    return raw.lower() == "true"


def query_time(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput.field(name, "must be an ISO 8601 date or time") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def page_response(page: Page, view: Callable[[dict[str, Any]], dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"items": [view(i) for i in page.items], "next_cursor": page.next_cursor})


def paging(request: Request) -> dict[str, Any]:
    return {"limit": query_int(request, "limit"), "cursor": request.query_params.get("cursor")}


def csv_response(text: str, filename: str) -> Response:
    """A CSV download; filename is ours (ASCII, no quotes), never the client's."""
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
