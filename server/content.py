"""Sending version bytes: ranges, validators and a safe Content-Disposition."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from server.problems import problem

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

# Up to this many bytes are read before the response starts and sent as one
# body. Measured on small files, StreamingResponse's task group (it listens
# for a disconnect while streaming) cost a fifth of the server's CPU per
# download; for a file this small there is nothing to stream.
WHOLE_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """The Range lies wholly outside the file."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """One byte range, or None to send the whole file (RFC 9110 §14.2).

    A malformed or multi-part Range is ignored rather than refused, which the
    RFC allows; a range past the end is Unsatisfiable (416).
    """
    match = _RANGE.match((header or "").strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        suffix = _position(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    start = _position(first)
    end = min(_position(last), size - 1) if last else size - 1
    if start >= size:
        raise Unsatisfiable
    if end < start:
        return None
    return ByteRange(start, end)


def _position(digits: str) -> int:
    # Any number of digits is a valid position, but int() refuses more than
    # 4,300 of them; past 18 digits it lies beyond any file we could hold.
    return int(digits) if len(digits) <= 18 else 10**18


def none_match(header: str | None, etag: str) -> bool:
    """Whether If-None-Match names this ETag (RFC 9110 §13.1.2).

    The comparison is weak, so W/"x" matches "x", and "*" matches any file.
    """
    if header is None:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or etag in [tag.removeprefix("W/") for tag in tags]


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """An ASCII fallback for old clients plus the exact name as RFC 6266 filename*."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r'[\x00-\x1f\x7f"\\;]', "_", fallback).strip() or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# Called with the first and last byte just before they are streamed.
OnSend = Callable[[int, int], Awaitable[None]]
# Reads bytes first to last, inclusive.
Reader = Callable[[int, int], AsyncIterator[bytes]]


async def send_version(
    request: Request, version: dict[str, Any], read: Reader, *, on_send: OnSend
) -> Response:
    """The version's bytes, a range of them, or only the headers (304, 416, HEAD)."""
    size = int(version["size"])
    etag = f'"{version["sha256"]}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(version["filename"]),
        "Cache-Control": "private, no-cache",
        # Never let a browser run an uploaded file as a page of this site.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        # Set as a header, not as media_type: Starlette would append
        # "; charset=utf-8" to every text type, whatever the file's encoding.
        "Content-Type": version["media_type"],
    }

    if none_match(request.headers.get("if-none-match"), etag):
        del headers["Content-Type"]
        return Response(status_code=304, headers=headers)

    if_range = request.headers.get("if-range")
    wanted = request.headers.get("range") if if_range in (None, etag) else None
    try:
        chosen = parse_range(wanted, size)
    except Unsatisfiable:
        return problem(
            416,
            f"the range lies outside the file's {size} bytes",
            title="Range not satisfiable",
            headers={"Content-Range": f"bytes */{size}"},
        )

    status, start, length = 200, 0, size
    if chosen is not None:
        status, start, length = 206, chosen.start, chosen.length
        headers["Content-Range"] = f"bytes {chosen.start}-{chosen.end}/{size}"
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        # StreamingResponse would read every chunk from GridFS only for the
        # server to drop them; a HEAD needs the headers alone.
        return Response(status_code=status, headers=headers)

    last = start + length - 1
    await on_send(start, last)
    if length <= WHOLE_BODY_BYTES:
        body = b"".join([piece async for piece in read(start, last)])
        return Response(body, status_code=status, headers=headers)
    return StreamingResponse(read(start, last), status_code=status, headers=headers)
