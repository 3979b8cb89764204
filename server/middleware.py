"""Request ids, access logging, and a last-resort 500 that hides internals."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.logs import request_id
from server.problems import problem

logger = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# The API answers JSON and files, never pages: nothing in it may run, frame or be framed.
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
]
# Paths that carry a secret: the one-time set-up link's token is never logged.
_SECRET_IN_PATH = re.compile(r"^/setup/[^/]+")
# Outside local development the service is behind TLS; browsers should insist on it.
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def loggable(path: str) -> str:
    """The path as the log may hold it: a secret in it replaced by a mark."""
    return _SECRET_IN_PATH.sub("/setup/[token]", path)


class RequestContext:
    """Tags each request with an id, logs it once, and turns crashes into problems.

    crash_page, when given, may answer a crash with something else (a page
    for a browser); when it returns None the problem document is sent.
    """

    def __init__(
        self,
        app: ASGIApp,
        crash_page: Callable[[Scope, str], Response | None] | None = None,
        *,
        hsts: bool = False,
    ) -> None:
        self.app = app
        self.crash_page = crash_page
        # Defaults for every answer; a page or a download may set its own first.
        self.security = [*_SECURITY_HEADERS, *([_HSTS] if hsts else [])]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", [])
                present = {name.lower() for name, _ in message["headers"]}
                extra = [(k, v) for k, v in self.security if k not in present]
                message["headers"] = [*message["headers"], *extra, (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Logged with its traceback here, never sent: the client gets the id.
            logger.exception("unhandled error", extra={"path": loggable(scope["path"])})
            if not response_started:
                page = self.crash_page(scope, rid) if self.crash_page else None
                response = page or problem(500, f"something went wrong; quote request id {rid}")
                await response(scope, receive, send_with_id)
        finally:
            # The path only: query strings can carry names and other personal data.
            logger.info(
                "%s %s %s",
                scope["method"],
                loggable(scope["path"]),
                status,
                extra={"status": status, "ms": round((time.perf_counter() - started) * 1000, 1)},
            )
            request_id.reset(token)
