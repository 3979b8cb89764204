"""The HTTP/1.1 protocol uvicorn runs for us: httptools, with a bound on the request head.

httptools buffers a header until it ends, however long it is: measured, one
request with a 100 MB header raised the server's memory by about 90 MB and
was then answered 200. Here a request whose line and headers have not ended
within MAX_HEAD_BYTES is answered 431 and the connection closed. Requests
uvicorn cannot parse at all get a problem+json 400 instead of its plain text.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)

# Far above any real request head (browsers send a few KiB), far below harm.
MAX_HEAD_BYTES = 64 * 1024
# After a refusal, how long what the client still sends is read and dropped.
LINGER_SECONDS = 2.0
# How long a request line and headers may take to arrive. uvicorn times out
# only idle kept-alive connections, so a client sending a head a byte at a
# time (or never finishing it) would otherwise hold its connection forever.
HEAD_TIMEOUT_SECONDS = 30.0


def _problem_bytes(status: int, reason: str, title: str, detail: str) -> bytes:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body.encode("ascii")


class BoundedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that refuses an endless request head and speaks problem+json."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._refused = False
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._in_head and self._head_bytes == 0:
            self.transport.close()  # nothing sent at all: an idle connection, just close
            return
        if self._in_head:
            detail = (
                f"the request line and headers did not arrive within {HEAD_TIMEOUT_SECONDS:.0f} s"
            )
            self._refuse(_problem_bytes(408, "Request Timeout", "Request timeout", detail))

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # A kept-alive connection's next request starts with a new head.
        self._in_head, self._head_bytes = True, 0

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Only now does the clock start for the next head: a long download on
        # this connection must not count against it.
        if not self.transport.is_closing():
            self._start_head_timer()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if self._refused or self.transport.is_closing():
            return  # refused already: whatever else arrives is dropped unread
        if not self._in_head:
            super().data_received(data)
            return

        # Feed no more than the head may take; if it ends inside that, the
        # rest of the data is body and goes on as usual.
        room = MAX_HEAD_BYTES - self._head_bytes
        self._head_bytes += min(len(data), room)
        super().data_received(data[:room])
        if self._in_head and self._head_bytes >= MAX_HEAD_BYTES:
            self._refuse_head()
        elif len(data) > room and not (self._refused or self.transport.is_closing()):
            super().data_received(data[room:])

    def _refuse_head(self) -> None:
        logger.warning("request head over the limit refused", extra={"limit": MAX_HEAD_BYTES})
        detail = f"the request line and headers must end within {MAX_HEAD_BYTES} bytes"
        self._refuse(
            _problem_bytes(431, "Request Header Fields Too Large", "Headers too large", detail)
        )

    def send_400_response(self, msg: str) -> None:
        detail = "the request is not valid HTTP/1.1: " + msg.rstrip(".").lower()
        self._refuse(_problem_bytes(400, "Bad Request", "Malformed request", detail))

    def _refuse(self, answer: bytes) -> None:
        """Answer, then drop input for a moment before closing.

        Closing at once, with the client's bytes still arriving, makes the
        kernel reset the connection, and a reset can discard the answer
        before the client reads it. So the answer is written, our side of
        the connection shut, and the socket closed once the client has
        hung up or LINGER_SECONDS have passed.
        """
        self._refused = True
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


# What every uvicorn server of ours is started with: serve, its workers, tests.
UVICORN_OPTIONS: dict[str, Any] = {
    "http": BoundedHttpProtocol,
    "log_config": None,
    # Which server software answers is nobody else's business.
    "server_header": False,
}


def uvicorn_options(trusted_proxies: str | None) -> dict[str, Any]:
    """The options, trusting X-Forwarded-For only from the proxies named.

    The audit records each request's address; believing the header from any
    local process would let one write whatever address it liked there.
    """
    if not trusted_proxies:
        return {**UVICORN_OPTIONS, "proxy_headers": False}
    return {**UVICORN_OPTIONS, "proxy_headers": True, "forwarded_allow_ips": trusted_proxies}
