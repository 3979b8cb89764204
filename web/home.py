"""The home page: the cases the user may see, their check-outs, and what they did last.

On a fresh install an administrator also sees the guided start: what to set up next.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from records import audit, cases, locks, offenders, tasks, vocabulary
from records.actors import Actor
from records.policy import Action, allows
from records.store import Store
from server.state import services
from web import session, task_pages
from web.page import page

CASES_PER_PAGE = 25


async def home(request: Request) -> Response:
    """Open cases of the user's team, and their check-outs."""
    signed_in = await session.signed_in(request)
    store = services(request).store
    cursor = request.query_params.get("cursor") or None

    listed = await cases.list_cases(store, signed_in.actor, limit=CASES_PER_PAGE, cursor=cursor)
    open_cases = [c for c in listed.items if not c.get("ended")]
    held = await locks.held_by(store, signed_in.actor)
    due = await tasks.upcoming(store, signed_in.actor)
    # The user's own latest events: what they did last, as the audit holds it.
    # External users may not read the audit trail, their own part of it included.
    recent = None
    if not signed_in.actor.external:
        recent = await audit.list_events(
            store, signed_in.actor, user=signed_in.actor.username, limit=10
        )

    # An install is fresh until its first case is opened (by hand or by the demo
    # loader): from then on the page is for casework, and the steps are in the
    # README. An administrator sees every team's cases, so an empty first page
    # means no case at all; nothing to dismiss, and no flag to store.
    fresh = cursor is None and not listed.items
    guide = await _guide(request, store, signed_in.actor) if fresh else None

    return await page(
        request,
        "home.html",
        guide=guide,
        cases=await _case_rows(store, open_cases),
        next_cursor=listed.next_cursor,
        held=[_held_row(d) for d in held],
        deadlines=await task_pages.task_rows(store, due),
        recent=[_recent_row(e) for e in recent.items] if recent else [],
        show_activity=recent is not None,
    )


async def _guide(request: Request, store: Store, actor: Actor) -> dict[str, Any] | None:
    """What the guided start shows an administrator: the lists in use, and where the API is."""
    if not allows(actor, Action.SERVICE_SETUP):
        return None
    return {
        "case_types": [v["label"] for v in await vocabulary.values(store, "case_types")],
        "document_types": [v["label"] for v in await vocabulary.values(store, "document_types")],
        # As the administrator's browser reached us: their commands reach the same server.
        "api": str(request.base_url).rstrip("/") + "/api/v1",
    }


async def _case_rows(store: Store, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    people = await asyncio.gather(
        *(offenders.get_offender_by_oid(store, c["offender_id"]) for c in found)
    )
    return [
        {
            "id": str(c["_id"]),
            "title": c["title"],
            "case_type": c["case_type"].replace("_", " "),
            "state": c["state"].replace("_", " "),
            "created_at": c["created_at"],
            "offender": f"{p['family_name'].upper()}, {p['given_names']}" if p else "",
        }
        for c, p in zip(found, people, strict=True)
    ]


def _held_row(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": document["title"],
        "doc_type": document["doc_type"].replace("_", " "),
        "protective_marking": document["protective_marking"],
        "lock_expires_at": document["lock"]["expires_at"],
    }


def _recent_row(event: dict[str, Any]) -> dict[str, Any]:
    return {"at": event["at"], "action": event["action"].replace(".", " ").replace("_", " ")}
