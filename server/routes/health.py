"""Liveness and readiness, open to load balancers without credentials."""

from __future__ import annotations

import asyncio

from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.state import services

READY_TIMEOUT = 3.0


async def healthz(request: Request) -> Response:
    """
    summary: The process is running
    tags: [health]
    security: []
    responses:
      200: {description: Alive}
    """
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """
    summary: The database, the extractor and the search index answer
    tags: [health]
    security: []
    responses:
      200: {description: Ready}
      503: {description: 'A dependency is down, named in "down"'}
    """
    found = services(request)
    down: list[str] = []
    try:
        await asyncio.wait_for(found.store.db.command("ping"), READY_TIMEOUT)
    except (PyMongoError, TimeoutError):
        down.append("database")
    down.extend(await found.search.problems())
    status = 503 if down else 200
    return JSONResponse({"status": "down" if down else "ready", "down": down}, status_code=status)


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
]
