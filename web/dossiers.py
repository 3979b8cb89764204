"""The dossier builder's pages: a draft from a template or from nothing, built by the worker.

Every change to the draft is a form POST that re-renders it (see
web/dossier_draft.py), and every render asks check_request, the same check
the API's POST /cases/{id}/dossiers makes, so its problems show as they arise.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dossier_builder import templates
from dossier_builder.options import DEFAULTS
from dossier_builder.request import KIND, check_request
from dossier_builder.selection import propose
from records import cases, documents, jobs
from records.actors import Actor
from records.errors import InvalidInput
from records.paging import page as page_of
from records.policy import Action, allows, can_see_document, require
from records.store import Store
from server.state import services
from web import dossier_draft, session
from web.dossier_draft import Draft
from web.forms import FormErrors, sentence
from web.page import page

DOSSIERS_PER_PAGE = 10
MARKINGS = ("OFFICIAL", "OFFICIAL-SENSITIVE")
_EMPTY = "empty"


async def new_dossier(request: Request) -> Response:
    """Step one: a template, or an empty dossier."""
    signed_in = await session.signed_in(request)
    store = services(request).store
    case = await _writable_case(request, signed_in.actor)

    listed = await templates.list_templates(store)
    suited = [t for t in listed if case["case_type"] in t.get("case_types", [])]
    others = [t for t in listed if t not in suited]
    return await page(
        request,
        "dossier_start.html",
        case=_case_view(case),
        choices=[{"value": t["_id"], "text": t["title"]} for t in suited + others],
        chosen=suited[0]["_id"] if suited else _EMPTY,
    )


async def edit_dossier(request: Request) -> Response:
    """Every button of the draft: start it, change it, or build it."""
    signed_in, form = await session.read_signed_in_form(request)
    store = services(request).store
    actor = signed_in.actor
    case = await _writable_case(request, actor)
    action = session.text(form, "action")

    if action == "start":
        draft, title, options = await _started(store, actor, case, session.text(form, "template"))
    else:
        draft = dossier_draft.parse(session.text(form, "draft", strip=False))
        title = session.text(form, "title")
        options = _options_from(form)
        _rename_sections(draft, form)
        dossier_draft.apply(draft, action, {k: v for k, v in form.items() if isinstance(v, str)})

    body = {"title": title, "sections": draft.request_sections(), "options": options}
    errors = FormErrors()
    try:
        payload = await check_request(store, actor, case, body)
    except InvalidInput as exc:
        _add_problems(errors, exc)
        payload = None
    if action == "build" and payload is not None:
        job = await jobs.create_job(store, actor, KIND, case, payload)
        return RedirectResponse(f"/jobs/{job['_id']}", status_code=303)

    return await _draft_page(request, store, actor, case, draft, title, options, errors)


async def _started(
    store: Store, actor: Actor, case: dict[str, Any], chosen: str
) -> tuple[Draft, str, dict[str, Any]]:
    if chosen == _EMPTY or not chosen:
        draft = Draft([{"title": "Documents", "divider": False, "items": []}])
        return draft, f"Dossier: {case['title']}"[:200], dict(DEFAULTS)
    proposal = await propose(store, actor, case, chosen, keep_empty=True)
    options = {**DEFAULTS, **proposal["options"]}
    return dossier_draft.from_proposal(proposal), proposal["title"][:200], options


def _options_from(form: FormData) -> dict[str, Any]:
    marking = session.text(form, "marking")
    return {
        "cover": form.get("cover") == "yes",
        "index": form.get("index") == "yes",
        "marking": marking or None,
        "page_label": session.text(form, "page_label") or DEFAULTS["page_label"],
        "missing": "placeholder" if form.get("missing") == "placeholder" else "refuse",
    }


def _rename_sections(draft: Draft, form: FormData) -> None:
    for number, section in enumerate(draft.sections):
        named = session.text(form, f"section-{number}-title")
        if named:
            section["title"] = named[:200]


# The check speaks to API clients; on the page the same choice is a radio button.
_API_WORDS = {
    'ask for "document awaited" pages with options.missing = "placeholder"': (
        'choose to put in a "document awaited" page below'
    ),
    "must be a list of at least one section": "add at least one document to a section",
}


def _add_problems(errors: FormErrors, exc: InvalidInput) -> None:
    if not exc.errors:
        errors.add("sections", sentence(_in_page_words(exc.detail)))
    for problem in exc.errors:
        errors.add(_field_id(problem.field), sentence(_in_page_words(problem.message)))


def _in_page_words(message: str) -> str:
    for api, page_words in _API_WORDS.items():
        message = message.replace(api, page_words)
    return message


def _field_id(name: str) -> str:
    """The page's field for a request field: sections[1].items[2] is entry 1-2."""
    if name.startswith("options."):
        return name.removeprefix("options.")
    if name.startswith("sections["):
        numbers = [part.split("]")[0] for part in name.split("[")[1:]]
        if name.endswith(".title"):
            return f"section-{numbers[0]}-title"
        return "item-" + "-".join(numbers) if len(numbers) == 2 else f"section-{numbers[0]}"
    return name if name in ("title", "template") else "sections"


async def _draft_page(
    request: Request,
    store: Store,
    actor: Actor,
    case: dict[str, Any],
    draft: Draft,
    title: str,
    options: dict[str, Any],
    errors: FormErrors,
) -> Response:
    filed = await _filed(store, actor, case)
    placed = draft.placed()
    sections = [
        {
            "title": s["title"],
            "entries": [_entry(filed, item) for item in s["items"]],
        }
        for s in draft.sections
    ]
    return await page(
        request,
        "dossier_draft.html",
        status=422 if errors else 200,
        errors=errors,
        case=_case_view(case),
        draft=draft.to_json(),
        title=title,
        options=options,
        markings=MARKINGS,
        sections=sections,
        addable=[
            _entry(filed, {"document_id": i, "version": None}) for i in filed if i not in placed
        ],
    )


async def _filed(store: Store, actor: Actor, case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The case's documents a dossier may hold (not earlier dossiers), by id, in filing order."""
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        listed = await documents.list_case_documents(store, actor, case, limit=500, cursor=cursor)
        found.update({str(d["_id"]): d for d in listed.items if d["doc_type"] != "dossier"})
        cursor = listed.next_cursor
        if cursor is None:
            return found


def _entry(filed: dict[str, dict[str, Any]], item: dict[str, Any]) -> dict[str, Any]:
    document = filed.get(item["document_id"])
    if document is None:
        unknown = {"title": "A document not in this case", "doc_type": "", "version": None}
        return {"document_id": item["document_id"], "pinned": item["version"], **unknown}
    return {
        "document_id": item["document_id"],
        # The draft's own version: None follows the current one.
        "pinned": item["version"],
        "title": document["title"],
        "doc_type": document["doc_type"].replace("_", " "),
        "document_date": document.get("document_date") or "",
        "version": item["version"] or document["current_version"],
    }


async def earlier_dossiers(request: Request) -> Response:
    """The case's dossiers, newest first, each with the manifest of what went into it."""
    signed_in = await session.signed_in(request)
    store = services(request).store
    actor = signed_in.actor
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    require(actor, Action.DOCUMENT_READ, case, what="case")

    query: dict[str, Any] = {"case_id": case["_id"], "doc_type": "dossier"}
    if actor.external:
        query["shared_with_external"] = True
    listed = await page_of(
        store.db[documents.DOCUMENTS],
        query,
        limit=DOSSIERS_PER_PAGE,
        cursor=request.query_params.get("cursor") or None,
        newest_first=True,
    )
    shown = [_dossier_view(d) for d in listed.items if can_see_document(actor, d)]
    return await page(
        request,
        "dossiers.html",
        case=_case_view(case),
        dossiers=shown,
        next_cursor=listed.next_cursor,
        may_build=_may_build(actor, case),
    )


def _dossier_view(document: dict[str, Any]) -> dict[str, Any]:
    manifest = document.get("manifest") or {}
    return {
        "id": str(document["_id"]),
        "title": document["title"],
        "created_at": document["created_at"],
        "created_by": document["created_by"],
        "pages": manifest.get("pages"),
        "sources": [
            {
                "title": s.get("title", ""),
                "document_id": s.get("document_id"),
                "version": s.get("version"),
                "sha256": (s.get("sha256") or "")[:12],
                "awaited": s.get("awaited", False),
                "pages": _pages(s.get("first_page"), s.get("last_page")),
            }
            for s in manifest.get("sources", [])
        ],
    }


def _pages(first: Any, last: Any) -> str:
    if first is None:
        return ""
    return str(first) if first == last else f"{first} to {last}"


def _may_build(actor: Actor, case: dict[str, Any]) -> bool:
    return allows(actor, Action.DOCUMENT_WRITE, case)


async def _writable_case(request: Request, actor: Actor) -> dict[str, Any]:
    """The case, if the actor may build its dossiers: 404 when unseen, 403 when read-only."""
    store = services(request).store
    case_id = request.path_params["case_id"]
    case = await cases.get_case(store, actor, case_id)
    require(actor, Action.DOCUMENT_WRITE, case, what="case", ident=case_id)
    return case


def _case_view(case: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(case["_id"]), "title": case["title"], "case_type": case["case_type"]}


routes = [
    Route("/cases/{case_id}/dossiers", earlier_dossiers, methods=["GET"], include_in_schema=False),
    Route("/cases/{case_id}/dossiers/new", new_dossier, methods=["GET"], include_in_schema=False),
    Route("/cases/{case_id}/dossiers/new", edit_dossier, methods=["POST"], include_in_schema=False),
]
