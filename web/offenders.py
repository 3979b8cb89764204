"""Finding an offender (by name, date of birth or an identifier) and their page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from records import cases, offenders, vocabulary
from records.errors import InvalidInput
from records.offenders import IDENTIFIERS
from server.state import services
from web import session
from web.casework import add_problems, person_name, read_date
from web.forms import FormErrors
from web.page import page

OFFENDERS_PER_PAGE = 20
CASES_PER_PAGE = 20

IDENTIFIER_LABELS = {
    "nomis_number": "NOMS number",
    "prison_number": "Prison number",
    "pnc_number": "PNC ID",
    "cro_number": "CRO number",
    "crn": "Probation case reference (CRN)",
}
SEARCH_FIELDS = ("q", "born-day", "born-month", "born-year")


async def search(request: Request) -> Response:
    """The search form, and when something was asked, one page of matches."""
    signed_in = await session.signed_in(request)
    values = {name: request.query_params.get(name, "") for name in SEARCH_FIELDS}
    errors = FormErrors()
    born = read_date(values, "born", errors, label="Date of birth")
    asked = bool(values["q"].strip() or born)

    found: list[dict[str, Any]] = []
    next_link = None
    if asked and not errors:
        try:
            listed = await offenders.search_offenders(
                services(request).store,
                signed_in.actor,
                values["q"],
                born=born,
                limit=OFFENDERS_PER_PAGE,
                cursor=request.query_params.get("cursor") or None,
            )
        except InvalidInput as exc:
            add_problems(errors, exc, ids={"q": "q", "cursor": "q"})
        else:
            found = [_row(o) for o in listed.items]
            if listed.next_cursor:
                next_link = "/offenders?" + urlencode({**values, "cursor": listed.next_cursor})
    return await page(
        request,
        "offenders.html",
        status=422 if errors else 200,
        errors=errors,
        values=values,
        asked=asked and not errors,
        offenders=found,
        next_link=next_link,
        csv_query=urlencode({k: v for k, v in values.items() if v}),
    )


def _row(offender: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(offender["_id"]),
        "name": person_name(offender),
        "date_of_birth": offender["date_of_birth"],
        "nomis_number": offender.get("nomis_number") or "",
        "pnc_number": offender.get("pnc_number") or "",
        "cro_number": offender.get("cro_number") or "",
    }


async def offender_page(request: Request) -> Response:
    """Identifiers, aliases and the cases the user may see."""
    signed_in = await session.signed_in(request)
    store = services(request).store
    offender_id = request.path_params["offender_id"]
    offender = await offenders.get_offender(store, signed_in.actor, offender_id)

    listed = await cases.list_cases(
        store,
        signed_in.actor,
        offender_id=offender_id,
        limit=CASES_PER_PAGE,
        cursor=request.query_params.get("cursor") or None,
    )
    case_types = {v["code"]: v["label"] for v in await vocabulary.values(store, "case_types")}
    identifiers = [
        (IDENTIFIER_LABELS[name], offender[name]) for name in IDENTIFIERS if offender.get(name)
    ]
    return await page(
        request,
        "offender.html",
        offender={
            "id": offender_id,
            "name": person_name(offender),
            "date_of_birth": offender["date_of_birth"],
            "aliases": offender.get("aliases", []),
        },
        identifiers=identifiers,
        cases=[
            {
                "id": str(c["_id"]),
                "title": c["title"],
                "case_type": case_types.get(c["case_type"], c["case_type"]),
                "team": c["team"],
                "state": c["state"].replace("_", " "),
                "created_at": c["created_at"],
            }
            for c in listed.items
        ],
        next_cursor=listed.next_cursor,
    )


routes = [
    Route("/offenders", search, methods=["GET"], include_in_schema=False),
    Route("/offenders/{offender_id}", offender_page, methods=["GET"], include_in_schema=False),
]
