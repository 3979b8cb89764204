"""The records managers' pages: the review queue, proposals to approve, and legal holds.

retention/ applies every rule (who may decide, two people, holds, the code
asked again); these pages gather the forms and show what was refused.
"""

from __future__ import annotations

from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from records.errors import Conflict, Forbidden, InvalidInput, NotFound
from records.policy import Action, require
from retention import holds, review, runs
from server.state import services
from web import session
from web.casework import add_problems
from web.forms import FormErrors, sentence
from web.page import page

PER_PAGE = 50
DECISION_IDS = {
    "decision": "decision",
    "document_ids": "decision",
    "until": "until",
    "reason": "reason",
    "hold_reason": "hold_reason",
    "note": "note",
}
HOLD_IDS = {"target": "target", "id": "id", "reason": "reason", "note": "note"}
FILTERS = ("as_of", "action", "state", "rule")
FILTER_IDS = {name: name for name in FILTERS}
FILTER_LABELS = {"as_of": "Due on", "action": "Action", "state": "State", "rule": "Rule code"}
# What the queue's own redirects announce, by their done=; any other value a
# link carries is ignored, so nobody can send a records manager a link that
# shows a success that never happened.
QUEUE_OUTCOMES = {
    "retain": "Retained: the records leave the queue until the date given",
    "hold": "Held: the records cannot be destroyed while the hold stands",
    "destroy": "Destruction proposed: a second records manager must approve it",
    "transfer": "Transfer proposed: a second records manager must approve it",
    "approved": "Approved: the run is carried out now; its certificate is under Runs in the API",
    "rejected": "Proposal rejected: its records are back in the queue",
}


async def queue_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    return await _queue(request, signed_in.actor)


async def _queue(
    request: Request,
    actor: Any,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    require(actor, Action.RETENTION_REVIEW)
    store = services(request).store
    params = request.query_params
    filters = {name: params.get(name) or "" for name in FILTERS}
    problems = errors or FormErrors()
    try:
        day = review.read_day(filters["as_of"], "as_of", default=store.now().date())
        found = await review.queue(
            store,
            actor,
            as_of=day,
            filters={k: filters[k] or None for k in ("action", "state", "rule")},
            limit=PER_PAGE,
            cursor=params.get("cursor") or None,
        )
        items, next_cursor = [review.queue_item(d) for d in found.items], found.next_cursor
    except InvalidInput as exc:
        add_problems(problems, exc, ids=FILTER_IDS, labels=FILTER_LABELS)
        items, next_cursor, status = [], None, 422
    proposals = await review.list_proposals(store, actor, limit=PER_PAGE)
    return await page(
        request,
        "retention_queue.html",
        status=status,
        items=items,
        next_cursor=next_cursor,
        filters=filters,
        proposals=[review.proposal_view(p) for p in proposals.items],
        reasons=list(holds.REASONS.items()),
        errors=problems,
        values={name: "" for name in DECISION_IDS} | (values or {}),
        done=QUEUE_OUTCOMES.get(params.get("done", ""), ""),
    )


async def decide(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    values = {
        n: session.text(form, n) for n in ("decision", "until", "reason", "hold_reason", "note")
    }
    body: dict[str, Any] = {
        "document_ids": _chosen(form),
        **{k: v for k, v in values.items() if v},
    }
    errors = FormErrors()
    try:
        await review.decide(services(request).store, actor, body)
    except InvalidInput as exc:
        add_problems(errors, exc, ids=DECISION_IDS)
    except (Conflict, Forbidden, NotFound) as exc:
        errors.add("decision", sentence(exc.detail))
    else:
        return RedirectResponse(f"/retention?done={values['decision']}", status_code=303)
    return await _queue(request, actor, errors=errors, values=values, status=422)


def _chosen(form: FormData) -> list[str]:
    return [v for v in form.getlist("document_ids") if isinstance(v, str)]


async def approve(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    app = services(request)
    errors = FormErrors()
    try:
        run = await review.approve(
            app.store,
            actor,
            request.path_params["proposal_id"],
            {"code": session.text(form, "code")},
        )
    except InvalidInput as exc:
        add_problems(errors, exc, ids={"code": "code"})
    except (Conflict, Forbidden) as exc:
        errors.add("code", sentence(exc.detail))
    else:
        task = BackgroundTask(runs.execute, app.store, app.settings.data_dir, run["_id"])
        return RedirectResponse("/retention?done=approved", status_code=303, background=task)
    return await _queue(request, actor, errors=errors, status=422)


async def reject(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    errors = FormErrors()
    try:
        await review.reject(
            services(request).store,
            actor,
            request.path_params["proposal_id"],
            {"reason": session.text(form, "rejection")},
        )
    except InvalidInput as exc:
        add_problems(errors, exc, ids={"reason": "rejection"})
    except Conflict as exc:
        errors.add("rejection", sentence(exc.detail))
    else:
        return RedirectResponse("/retention?done=rejected", status_code=303)
    return await _queue(request, actor, errors=errors, status=422)


async def holds_page(request: Request) -> Response:
    signed_in = await session.signed_in(request)
    return await _holds(request, signed_in.actor)


async def _holds(
    request: Request,
    actor: Any,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found = await holds.list_holds(
        services(request).store,
        actor,
        limit=PER_PAGE,
        cursor=request.query_params.get("cursor") or None,
    )
    return await page(
        request,
        "retention_holds.html",
        status=status,
        holds=[holds.hold_view(h) for h in found.items],
        next_cursor=found.next_cursor,
        reasons=list(holds.REASONS.items()),
        targets=[(t, t.capitalize()) for t in holds.TARGETS],
        errors=errors or FormErrors(),
        values={name: "" for name in HOLD_IDS} | (values or {"target": "case"}),
        done=request.query_params.get("done", ""),
    )


async def apply_hold(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    values = {n: session.text(form, n) for n in HOLD_IDS}
    errors = FormErrors()
    try:
        await holds.apply_hold(services(request).store, actor, values)
    except InvalidInput as exc:
        add_problems(errors, exc, ids=HOLD_IDS)
    except (Forbidden, NotFound) as exc:
        errors.add("id", sentence(exc.detail))
    else:
        return RedirectResponse("/retention/holds?done=applied", status_code=303)
    return await _holds(request, actor, errors=errors, values=values, status=422)


async def lift_hold(request: Request) -> Response:
    signed_in, form = await session.read_signed_in_form(request)
    actor = signed_in.actor
    hold_id = request.path_params["hold_id"]
    errors = FormErrors()
    try:
        await holds.lift_hold(
            services(request).store, actor, hold_id, {"note": session.text(form, "lift-note")}
        )
    except InvalidInput as exc:
        add_problems(errors, exc, ids={"note": "lift-note"})
    except (Conflict, Forbidden) as exc:
        errors.add("lift-note", sentence(exc.detail))
    else:
        return RedirectResponse("/retention/holds?done=lifted", status_code=303)
    return await _holds(request, actor, errors=errors, status=422)


routes = [
    Route("/retention", queue_page, methods=["GET"], include_in_schema=False),
    Route("/retention/decisions", decide, methods=["POST"], include_in_schema=False),
    Route(
        "/retention/proposals/{proposal_id}/approve",
        approve,
        methods=["POST"],
        include_in_schema=False,
    ),
    Route(
        "/retention/proposals/{proposal_id}/reject",
        reject,
        methods=["POST"],
        include_in_schema=False,
    ),
    Route("/retention/holds", holds_page, methods=["GET"], include_in_schema=False),
    Route("/retention/holds", apply_hold, methods=["POST"], include_in_schema=False),
    Route("/retention/holds/{hold_id}/lift", lift_hold, methods=["POST"], include_in_schema=False),
]
