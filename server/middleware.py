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


class RequestContext:
    """Tags each request with an id, logs it once, and turns crashes into problems.

    crash_page, when given, may answer a crash with something else (a page
    for a browser); when it returns None the problem document is sent.
    """

    def __init__(
        self, app: ASGIApp, crash_page: Callable[[Scope, str], Response | None] | None = None
    ) -> None:
        self.app = app
        self.crash_page = crash_page

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
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Logged with its traceback here, never sent: the client gets the id.
            logger.exception("unhandled error", extra={"path": scope["path"]})
            if not response_started:
                page = self.crash_page(scope, rid) if self.crash_page else None
                response = page or problem(500, f"something went wrong; quote request id {rid}")
                await response(scope, receive, send_with_id)
        finally:
            # The path only: query strings can carry names and other personal data.
            logger.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={"status": status, "ms": round((time.perf_counter() - started) * 1000, 1)},
            )
            request_id.reset(token)
