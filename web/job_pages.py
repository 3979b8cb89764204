"""A job's page: its progress as the worker reports it, then a link to what it made."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import jobs
from server.state import services
from web import session
from web.page import page
from web.templating import PAGE_HEADERS


async def job_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    job = await jobs.get_job(
        services(request).store, signed_in.actor, request.path_params["job_id"]
    )
    return await page(request, "job.html", job=_job_view(job))


async def job_progress(request: Request) -> Response:
    """The same as JSON, for the page's poller (static/job.mjs); the session decides, as above."""
    signed_in = await session.signed_in(request)
    job = await jobs.get_job(
        services(request).store, signed_in.actor, request.path_params["job_id"]
    )
    view = _job_view(job)
    shown = {k: view[k] for k in ("state", "percent", "message", "finished")}
    return JSONResponse(shown, headers=PAGE_HEADERS)


def _job_view(job: dict[str, Any]) -> dict[str, Any]:
    state = job["state"]
    progress = float(job.get("progress") or 0.0)
    return {
        "id": str(job["_id"]),
        "case_id": str(job["case_id"]),
        "kind": job["kind"],
        "title": (job.get("payload") or {}).get("title", ""),
        "state": state,
        "percent": 100 if state == "done" else round(min(max(progress, 0.0), 1.0) * 100),
        "message": job.get("message") or "",
        "error": job.get("error"),
        "document_id": (job.get("result") or {}).get("document_id"),
        "finished": state in ("done", "failed"),
        "created_at": job["created_at"],
    }


routes = [
    Route("/jobs/{job_id}", job_page, methods=["GET"], include_in_schema=False),
    Route("/jobs/{job_id}/progress", job_progress, methods=["GET"], include_in_schema=False),
]
