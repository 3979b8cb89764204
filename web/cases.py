"""The case page: its summary, its state, and its folders with their documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records import cases, documents, folders, offenders, tasks, transitions, vocabulary
from records.actors import Actor
from records.errors import Conflict, InvalidInput, MalformedInput
from records.policy import Action, allows
from records.store import Store
from server.state import services
from web import case_file, session
from web.casework import (
    add_problems,
    document_types,
    label_of,
    marking_colour,
    person_name,
    read_date,
)
from web.forms import FormErrors, sentence
from web.page import page

DOCUMENTS_PER_PAGE = 100


@dataclass
class FolderNode:
    """A folder, the documents of this page filed in it, and the folders inside it."""

    name: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    children: list[FolderNode] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.documents and all(child.empty for child in self.children)


def folder_tree(
    found: list[dict[str, Any]], rows: list[dict[str, Any]]
) -> tuple[list[FolderNode], list[dict[str, Any]]]:
    """The top folders (in creation order, each with its subtree) and the unfiled rows."""
    nodes = {f["_id"]: FolderNode(f["name"]) for f in found}
    top: list[FolderNode] = []
    for folder in found:
        parent = nodes.get(folder.get("parent_id"))
        (parent.children if parent else top).append(nodes[folder["_id"]])
    unfiled = []
    for row in rows:
        node = nodes.get(row["folder_id"])
        if node is None:
            unfiled.append(row)
        else:
            node.documents.append(row)
    return top, unfiled


async def case_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    case = await cases.view_case(
        services(request).store, signed_in.actor, request.path_params["case_id"]
    )
    return await render_case(request, signed_in.actor, case)


async def render_case(
    request: Request,
    actor: Actor,
    case: dict[str, Any],
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    chosen: str = "",
    status: int = 200,
) -> Response:
    """The case page; again, with errors and what was typed, after one of its forms was refused."""
    store = services(request).store
    listed = await documents.list_case_documents(
        store,
        actor,
        case,
        limit=DOCUMENTS_PER_PAGE,
        cursor=request.query_params.get("cursor") or None,
    )
    offender = await offenders.get_offender_by_oid(store, case["offender_id"])
    types = await document_types(store)
    rows = [_document_row(d, types, store) for d in listed.items]
    top, unfiled = folder_tree(await folders.list_folders(store, case["_id"]), rows)
    uploaded = request.query_params.get("uploaded", "")
    workflow = await transitions.workflow_summary(store, actor, case)
    now = store.now()
    open_tasks = [] if actor.external else await tasks.for_case(store, case)

    return await page(
        request,
        "case.html",
        status=status,
        case=await _case_summary(store, case, offender) | {"state": workflow["state_label"]},
        workflow=workflow,
        tasks=[tasks.task_view(t, now=now) for t in open_tasks],
        moved=request.query_params.get("moved") == "1",
        errors=errors or FormErrors(),
        values=values or {},
        chosen=chosen,
        folders=top,
        unfiled=unfiled,
        next_cursor=listed.next_cursor,
        may_upload=allows(actor, Action.DOCUMENT_WRITE, case),
        may_read_audit=not actor.external,
        uploaded=int(uploaded) if uploaded.isdigit() and len(uploaded) < 3 else 0,
        **await case_file.sections(request, actor, case),
    )


async def take_transition(request: Request) -> Response:
    """The case page's transition forms: one per transition, its fields prefixed by its code."""
    signed_in, form = await session.read_signed_in_form(request)
    store = services(request).store
    actor = signed_in.actor
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    code = session.text(form, "transition")
    if not code.replace("_", "").isalnum() or len(code) > 64:
        raise MalformedInput("the form names no transition")
    values = {
        f"{code}-{name}": session.text(form, f"{code}-{name}")
        for name in ("reason", "comment", "date-day", "date-month", "date-year")
    }

    errors = FormErrors()
    on_date = read_date(values, f"{code}-date", errors, label="Date")
    body = {
        "transition": code,
        "reason": values[f"{code}-reason"] or None,
        "comment": values[f"{code}-comment"] or None,
        "date": on_date,
    }
    if not errors:
        try:
            await transitions.take(store, actor, str(case["_id"]), body)
        except InvalidInput as exc:
            add_problems(
                errors,
                exc,
                ids={
                    "transition": f"transition-{code}",
                    "reason": f"{code}-reason",
                    "date": f"{code}-date-day",
                    "comment": f"{code}-comment",
                },
            )
        except Conflict as exc:
            errors.add(f"transition-{code}", sentence(exc.detail))
        else:
            return RedirectResponse(f"/cases/{case['_id']}?moved=1", status_code=303)
    # The case may have moved: show it as it is now, with what they typed.
    fresh = await cases.get_case(store, actor, str(case["_id"]))
    return await render_case(
        request, actor, fresh, errors=errors, values=values, chosen=code, status=422
    )


async def _case_summary(
    store: Store, case: dict[str, Any], offender: dict[str, Any] | None
) -> dict[str, Any]:
    case_types = await vocabulary.values(store, "case_types")
    return {
        "id": str(case["_id"]),
        "title": case["title"],
        "case_type": label_of(case_types, case["case_type"]),
        "team": case["team"],
        "state": case["state"].replace("_", " "),
        "created_at": case["created_at"],
        "created_by": case["created_by"],
        "offender": person_name(offender),
        "offender_id": str(case["offender_id"]),
    }


def _document_row(
    document: dict[str, Any], types: list[dict[str, Any]], store: Store
) -> dict[str, Any]:
    lock = documents.lock_view(document.get("lock"), now=store.now())
    folder_id = document.get("folder_id")
    return {
        "id": str(document["_id"]),
        "folder_id": folder_id if isinstance(folder_id, ObjectId) else None,
        "title": document["title"],
        "doc_type": label_of(types, document["doc_type"]),
        "document_date": document.get("document_date"),
        "current_version": document["current_version"],
        "lock_holder": lock["holder"] if lock else None,
        "protective_marking": document["protective_marking"],
        "marking_colour": marking_colour(document["protective_marking"]),
    }


routes = [
    Route("/cases/{case_id}", case_page, methods=["GET"], include_in_schema=False),
    Route(
        "/cases/{case_id}/transitions", take_transition, methods=["POST"], include_in_schema=False
    ),
]
