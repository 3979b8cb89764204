"""List pages as CSV: offender search results, a case's documents, the users managed.

Each download holds what its page would list, every page of it (up to
records.paging.EXPORT_LIMIT rows), read through the same records function
and so through the same authorisation; a download is audited as the
listing it is.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from records import audit, cases, documents, offenders, user_admin
from records.actors import Actor
from records.errors import InvalidInput
from records.paging import MAX_LIMIT, Page, every_page
from records.validation import csv_text
from server.routes._common import csv_response
from server.state import services
from web import session
from web.casework import read_date
from web.forms import FormErrors

OFFENDER_COLUMNS = (
    "id",
    "family_name",
    "given_names",
    "date_of_birth",
    "nomis_number",
    "pnc_number",
    "cro_number",
    "prison_number",
    "crn",
)
DOCUMENT_COLUMNS = (
    "id",
    "title",
    "doc_type",
    "document_date",
    "protective_marking",
    "current_version",
    "shared_with_external",
    "text_status",
    "created_at",
    "updated_at",
)
USER_COLUMNS = ("id", "username", "level", "team", "external", "organisation", "disabled")


async def offenders_csv(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    store = services(request).store
    values = {n: request.query_params.get(n, "") for n in ("born-day", "born-month", "born-year")}
    errors = FormErrors()
    born = read_date(values, "born", errors, label="Date of birth")
    if errors:
        raise InvalidInput(errors.items[0].message)
    q = request.query_params.get("q", "")
    if not q.strip() and not born:
        raise InvalidInput("search for a name, a date of birth or an identifier first")

    async def fetch(cursor: str | None) -> Page:
        return await offenders.search_offenders(
            store, signed_in.actor, q, born=born, limit=MAX_LIMIT, cursor=cursor
        )

    found = await every_page(fetch)
    await _audited(request, signed_in.actor, "offenders.export", "offenders", len(found))
    return csv_response(csv_text(OFFENDER_COLUMNS, (_offender(o) for o in found)), "offenders.csv")


def _offender(found: dict[str, Any]) -> dict[str, Any]:
    return {**found, "id": str(found["_id"])}


async def documents_csv(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    store = services(request).store
    case = await cases.get_case(store, signed_in.actor, request.path_params["case_id"])

    async def fetch(cursor: str | None) -> Page:
        return await documents.list_case_documents(
            store, signed_in.actor, case, limit=MAX_LIMIT, cursor=cursor
        )

    now = store.now()
    rows = [documents.document_view(d, now=now) for d in await every_page(fetch)]
    await _audited(
        request, signed_in.actor, "documents.export", f"case:{case['_id']}", len(rows), case["_id"]
    )
    return csv_response(csv_text(DOCUMENT_COLUMNS, rows), "documents.csv")


async def users_csv(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    store = services(request).store

    async def fetch(cursor: str | None) -> Page:
        return await user_admin.list_users(store, signed_in.actor, limit=MAX_LIMIT, cursor=cursor)

    rows = [user_admin.managed_view(u) for u in await every_page(fetch)]
    await _audited(request, signed_in.actor, "users.export", "users", len(rows))
    return csv_response(csv_text(USER_COLUMNS, rows), "users.csv")


async def _audited(
    request: Request, actor: Actor, action: str, target: str, rows: int, case_id: Any = None
) -> None:
    """An export is a disclosure: who took which list, and how many rows."""
    await audit.record(
        services(request).store,
        actor,
        action,
        target,
        case_id=case_id,
        detail={"rows": rows},
    )


routes = [
    Route("/offenders.csv", offenders_csv, methods=["GET"], include_in_schema=False),
    Route(
        "/cases/{case_id}/documents.csv", documents_csv, methods=["GET"], include_in_schema=False
    ),
    Route("/users.csv", users_csv, methods=["GET"], include_in_schema=False),
]
