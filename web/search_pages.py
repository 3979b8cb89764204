"""The search page: one box, filters, highlighted snippets, paging; only what the user may see."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from bson import ObjectId
from markupsafe import Markup, escape
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from records import cases, vocabulary
from records.actors import Actor
from records.store import Store
from search import query, service
from search.errors import MalformedQuery
from server.state import services
from web import session
from web.forms import FormErrors, sentence
from web.page import page

RESULTS_PER_PAGE = 20
CASES_IN_FILTER = 100
# Tantivy marks a hit with <b>...</b> and escapes the rest; nothing else is trusted.
_MARKS = re.compile(r"(</?b>)")
_ENDS = ("from", "to")
# The form's fields, as the query string carries them back.
_FIELDS = (
    "q",
    "case_id",
    "doc_type",
    *(f"{end}-{part}" for end in _ENDS for part in ("day", "month", "year")),
)


def highlighted(snippet: str) -> Markup:
    """The snippet's text escaped by us, with only its hits marked.

    The index's HTML is never passed through: it is read back to text and
    <b> marks, and the text is escaped again here, so even a snippet that
    held markup of its own would show as the characters it is.
    """
    opening, closing = Markup('<mark class="ppud-hit">'), Markup("</mark>")
    parts: list[Markup] = []
    inside = False
    for piece in _MARKS.split(snippet):
        if piece in ("<b>", "</b>"):
            inside = piece == "<b>"
            parts.append(opening if inside else closing)
            continue
        parts.append(escape(html.unescape(piece)))
    if inside:
        parts.append(closing)
    return Markup("").join(parts)


async def search_page(request: Request) -> Response:
    """The form, and, when there is a search, a page of its matches."""
    signed_in = await session.signed_in(request)
    store = services(request).store
    params = request.query_params
    values = {name: params.get(name, "").strip() for name in _FIELDS}
    errors = FormErrors()
    found: dict[str, Any] | None = None

    text = values["q"]
    dates = _date_range(values, errors)
    if text and not errors:
        found = await _search(request, signed_in.actor, values, dates, errors)
    elif not text and any(values[name] for name in _FIELDS if name != "q"):
        errors.add("q", "Enter a word or phrase to search for")

    return await page(
        request,
        "search.html",
        status=400 if errors else 200,
        errors=errors,
        values=values,
        found=found,
        results=await _results(store, (found or {}).get("items", [])),
        next_link=_next_link(params, found),
        case_options=await _case_options(store, signed_in.actor),
        type_options=await _type_options(store),
    )


async def _search(
    request: Request,
    actor: Actor,
    values: dict[str, str],
    dates: tuple[date | None, date | None],
    errors: FormErrors,
) -> dict[str, Any] | None:
    try:
        # Parsed alone first, so the positions in a message are those of what was typed.
        query.parse(values["q"])
        asked = service.Request(
            text=_with_dates(values["q"], dates),
            case_id=values["case_id"] or None,
            doc_type=values["doc_type"] or None,
            limit=RESULTS_PER_PAGE,
            cursor=request.query_params.get("cursor") or None,
        )
        return await services(request).search.search(actor, asked)
    except MalformedQuery as exc:
        errors.add("q", sentence(exc.detail))
        return None


def _with_dates(text: str, dates: tuple[date | None, date | None]) -> str:
    start, end = dates
    if start is None and end is None:
        return text
    first = start.isoformat() if start else ""
    last = end.isoformat() if end else ""
    # Bracketed, so the range narrows the whole search, OR and all.
    return f"({text}) date:{first}..{last}"


def _date_range(values: dict[str, str], errors: FormErrors) -> tuple[date | None, date | None]:
    start = _date(values, "from", "Document date from", errors)
    end = _date(values, "to", "Document date to", errors)
    if start and end and start > end:
        errors.add("to-day", "Document date to must be the same as or after document date from")
    return start, end


def _date(values: dict[str, str], end: str, label: str, errors: FormErrors) -> date | None:
    day, month, year = (values[f"{end}-{part}"] for part in ("day", "month", "year"))
    if not (day or month or year):
        return None
    if not (day and month and year):
        errors.add(f"{end}-day", f"{label} must include a day, month and year")
        return None
    try:
        found = date(int(year), int(month), int(day))
    except ValueError:
        errors.add(f"{end}-day", f"{label} must be a real date")
        return None
    if not query.FIRST_YEAR <= found.year <= query.LAST_YEAR:
        errors.add(
            f"{end}-day", f"{label} must be between {query.FIRST_YEAR} and {query.LAST_YEAR}"
        )
        return None
    return found


async def _results(store: Store, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hits, each with its case's title, so every case link says which case it opens."""
    ids = {ObjectId(i["case_id"]) for i in items if ObjectId.is_valid(i["case_id"])}
    found = store.db[cases.CASES].find({"_id": {"$in": list(ids)}}, {"title": 1})
    titles = {str(c["_id"]): c["title"] async for c in found}
    labels = dict(await _type_options(store))
    return [_result(item, titles.get(item["case_id"], "the case"), labels) for item in items]


def _result(item: dict[str, Any], case_title: str, labels: dict[str, str]) -> dict[str, Any]:
    code = str(item["doc_type"])
    return {
        "document_id": item["document_id"],
        "case_id": item["case_id"],
        "case_title": case_title,
        "title": item["title"],
        "doc_type": labels.get(code, code.replace("_", " ")),
        "version": item["version"],
        "snippet": highlighted(item["snippet"]),
    }


def _next_link(params: QueryParams, found: dict[str, Any] | None) -> str | None:
    if not found or not found.get("next_cursor"):
        return None
    kept = [(k, v) for k, v in params.multi_items() if k != "cursor" and v]
    kept.append(("cursor", found["next_cursor"]))
    return "/search?" + str(QueryParams(kept))


async def _case_options(store: Store, actor: Actor) -> list[tuple[str, str]]:
    listed = await cases.list_cases(store, actor, limit=CASES_IN_FILTER)
    return [(str(c["_id"]), c["title"]) for c in listed.items]


async def _type_options(store: Store) -> list[tuple[str, str]]:
    return [(v["code"], v["label"]) for v in await vocabulary.values(store, "document_types")]


routes = [Route("/search", search_page, methods=["GET"], include_in_schema=False)]
