"""The audit trail of a case or of a document, as the records' rules let the reader see it.

records.audit.list_events decides whose events a reader sees (managers their
team's, others only their own); the record itself must be visible first, so
another team's case answers 404 here as everywhere.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from records import audit, cases, documents
from records.policy import Action
from server.state import services
from web import session
from web.page import page

EVENTS_PER_PAGE = 50
DETAIL_CHARS = 200
HASH_CHARS = 12


async def case_audit(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    store = services(request).store
    case = await cases.get_case(store, signed_in.actor, request.path_params["case_id"])
    return await _trail(
        request, signed_in, f"/cases/{case['_id']}", case["title"], {"case_id": str(case["_id"])}
    )


async def document_audit(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    store = services(request).store
    document_id = request.path_params["document_id"]
    document, _ = await documents.load(store, signed_in.actor, document_id, Action.DOCUMENT_READ)
    return await _trail(
        request,
        signed_in,
        f"/documents/{document['_id']}",
        document["title"],
        {"document_id": str(document["_id"])},
    )


async def _trail(
    request: Request,
    signed_in: session.WebSession,
    back: str,
    caption: str,
    record: dict[str, str],
) -> Response:
    """A page of the events of a record the caller could open; list_events applies the rules."""
    found = await audit.list_events(
        services(request).store,
        signed_in.actor,
        limit=EVENTS_PER_PAGE,
        cursor=request.query_params.get("cursor") or None,
        case_id=record.get("case_id"),
        document_id=record.get("document_id"),
    )
    return await page(
        request,
        "audit.html",
        heading="Audit trail",
        caption=caption,
        back=back,
        here=f"{back}/audit",
        events=[_event(e) for e in found.items],
        next_cursor=found.next_cursor,
        everyone=signed_in.actor.at_least("manager"),
    )


def _event(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": event["at"],
        "user": event["user"],
        "action": event["action"],
        "detail": _detail(event.get("detail") or {}),
        "ip": event.get("ip") or "",
    }


def _detail(detail: dict[str, Any]) -> str:
    """The detail as short text; rendered escaped like everything else."""
    parts = []
    for key, value in detail.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        if key == "sha256" and len(shown) > HASH_CHARS:
            shown = shown[:HASH_CHARS] + "…"  # the prefix names the bytes; the API has the whole
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    text = "; ".join(parts)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


routes = [
    Route("/cases/{case_id}/audit", case_audit, methods=["GET"], include_in_schema=False),
    Route(
        "/documents/{document_id}/audit", document_audit, methods=["GET"], include_in_schema=False
    ),
]
