"""Retention routes: schedules, the review queue, decisions, legal holds, runs and certificates."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records.errors import InvalidInput
from records.policy import Action, require
from retention import certificate, explain, holds, review, rule_store, rules, rules_csv, runs
from retention.review import read_day
from server.auth import authenticate
from server.routes._common import optional_if_match, page_response, paging, query_flag, read_json
from server.state import services

CSV_TYPES = ("text/csv", "application/csv", "text/plain")


async def list_rules(request: Request) -> Response:
    """
    summary: The retention rules, in the order they take precedence
    tags: [retention]
    responses:
      200: {description: 'The rules, most specific first'}
      403: {description: Needs a records manager or an administrator}
    """
    actor = await authenticate(request)
    found = await rule_store.list_rules(services(request).store, actor)
    return JSONResponse({"items": [rules.rule_view(r) for r in found], "next_cursor": None})


async def create_rule(request: Request) -> Response:
    """
    summary: Add a retention rule (administrators)
    description: "Fields: code, title, record_class (documents or audit), case_types, doc_types, markings, metadata_key and metadata_value, trigger, amount, unit (days, months, years), action (review, destroy, transfer), after_transfer (destroy or keep)."
    tags: [retention]
    requestBody: {required: true, content: {application/json: {schema: {type: object}}}}
    responses:
      201: {description: The rule}
      403: {description: Needs administrator}
      409: {description: A rule with that code exists}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.RETENTION_RULES_MANAGE)
    made = await rule_store.create_rule(services(request).store, actor, await read_json(request))
    return JSONResponse(rules.rule_view(made), status_code=201)


async def get_rule(request: Request) -> Response:
    """
    summary: One retention rule
    tags: [retention]
    responses:
      200: {description: The rule}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    found = await rule_store.get_rule(
        services(request).store, actor, request.path_params["rule_id"]
    )
    return JSONResponse(rules.rule_view(found))


async def update_rule(request: Request) -> Response:
    """
    summary: Replace a retention rule whole (administrators); records follow at the next evaluation
    tags: [retention]
    parameters:
      - {name: If-Match, in: header, required: false, schema: {type: string}, description: 'The revision read, as "3" (or send the rule read, with its revision); a stale one changes nothing'}
    requestBody: {required: true, content: {application/json: {schema: {type: object}}}}
    responses:
      200: {description: The rule}
      403: {description: Needs administrator}
      404: {$ref: "#/components/responses/NotFound"}
      412: {$ref: "#/components/responses/Stale"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.RETENTION_RULES_MANAGE)
    expected = optional_if_match(request)
    changed = await rule_store.update_rule(
        services(request).store,
        actor,
        request.path_params["rule_id"],
        await read_json(request),
        expected_revision=expected,
    )
    return JSONResponse(rules.rule_view(changed))


async def delete_rule(request: Request) -> Response:
    """
    summary: Remove a retention rule (administrators)
    tags: [retention]
    responses:
      204: {description: Removed}
      403: {description: Needs administrator}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    await rule_store.delete_rule(services(request).store, actor, request.path_params["rule_id"])
    return Response(status_code=204)


async def export_rules(request: Request) -> Response:
    """
    summary: The retention rules as CSV, safe to open in a spreadsheet
    tags: [retention]
    responses:
      200: {description: The rules, content: {text/csv: {}}}
    """
    actor = await authenticate(request)
    found = await rule_store.list_rules(services(request).store, actor)
    return Response(
        rules_csv.export_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="retention-rules.csv"'},
    )


async def import_rules(request: Request) -> Response:
    """
    summary: Create or change retention rules from CSV (administrators), all or none
    tags: [retention]
    requestBody: {required: true, content: {text/csv: {schema: {type: string}}}}
    responses:
      200: {description: 'How many were created, changed and unchanged'}
      403: {description: Needs administrator}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.RETENTION_RULES_MANAGE)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in CSV_TYPES:
        raise InvalidInput(f"send the rules as text/csv, not {kind or 'nothing'}")
    counts = await rules_csv.import_rules(services(request).store, actor, await request.body())
    return JSONResponse(counts)


async def get_queue(request: Request) -> Response:
    """
    summary: Records due for disposition (records managers)
    tags: [retention]
    parameters:
      - {name: as_of, in: query, schema: {type: string, format: date}}
      - {name: action, in: query, schema: {type: string, enum: [review, destroy, transfer]}}
      - {name: rule, in: query, schema: {type: string}}
      - {name: doc_type, in: query, schema: {type: string}}
      - {name: state, in: query, schema: {type: string, enum: [due, held, proposed, approved, blocked, transferred]}}
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: A page of due records}
      403: {description: Needs a records manager}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.RETENTION_REVIEW)
    store = services(request).store
    params = request.query_params
    found = await review.queue(
        store,
        actor,
        as_of=read_day(params.get("as_of"), "as_of", default=store.now().date()),
        filters={k: params.get(k) for k in ("action", "rule", "doc_type", "state")},
        **paging(request),
    )
    return page_response(found, review.queue_item)


async def get_record(request: Request) -> Response:
    """
    summary: One record's disposition, the rule governing it and the other rules that match it
    tags: [retention]
    responses:
      200: {description: The record's disposition}
      403: {description: Needs a records manager}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    found = await explain.explain(
        services(request).store, actor, request.path_params["document_id"]
    )
    return JSONResponse(found)


async def make_decision(request: Request) -> Response:
    """
    summary: Decide about due records (records managers)
    description: "decision: retain (with until and reason), hold (with hold_reason and note), or destroy or transfer, which proposes it for a second records manager's approval."
    tags: [retention]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [document_ids, decision]}}}}
    responses:
      200: {description: What was decided}
      403: {description: Needs a records manager}
      404: {$ref: "#/components/responses/NotFound"}
      409: {description: 'A record is held, not due, or already proposed'}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.RETENTION_REVIEW)
    decided = await review.decide(services(request).store, actor, await read_json(request))
    return JSONResponse(decided)


async def list_proposals(request: Request) -> Response:
    """
    summary: Disposals proposed and waiting for a second records manager (?state= for others)
    tags: [retention]
    parameters:
      - {name: state, in: query, schema: {type: string, enum: [proposed, approved, rejected, all], default: proposed}}
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: A page of proposals}
      403: {description: Needs a records manager}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    state = request.query_params.get("state") or "proposed"
    found = await review.list_proposals(
        services(request).store, actor, state=None if state == "all" else state, **paging(request)
    )
    return page_response(found, review.proposal_view)


async def get_proposal(request: Request) -> Response:
    """
    summary: One proposal, whatever its state, with who decided it and why
    tags: [retention]
    responses:
      200: {description: The proposal}
      403: {description: Needs a records manager}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    found = await review.get_proposal(
        services(request).store, actor, request.path_params["proposal_id"]
    )
    return JSONResponse(review.proposal_view(found))


async def approve_proposal(request: Request) -> Response:
    """
    summary: Approve a proposed disposal (a second records manager, with their code again)
    description: The run is carried out in the background; its certificate follows at /retention/runs/{id}.
    tags: [retention]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [code], properties: {code: {type: string}}}}}}
    responses:
      202: {description: 'The run, approved'}
      403: {description: 'Not a records manager, the proposer themselves, or a wrong code'}
      404: {$ref: "#/components/responses/NotFound"}
      409: {description: 'Already decided, or a record no longer due (named)'}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.RETENTION_REVIEW)
    app = services(request)
    body = await read_json(request)
    run = await review.approve(app.store, actor, request.path_params["proposal_id"], body)
    task = BackgroundTask(runs.execute, app.store, app.settings.data_dir, run["_id"])
    return JSONResponse(runs.run_view(run), status_code=202, background=task)


async def reject_proposal(request: Request) -> Response:
    """
    summary: Reject a proposed disposal; its records return to the queue
    tags: [retention]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [reason]}}}}
    responses:
      200: {description: 'The proposal, rejected'}
      403: {description: Needs a records manager}
      404: {$ref: "#/components/responses/NotFound"}
      409: {description: Already decided}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.RETENTION_REVIEW)
    body = await read_json(request)
    done = await review.reject(
        services(request).store, actor, request.path_params["proposal_id"], body
    )
    return JSONResponse(done)


async def list_holds(request: Request) -> Response:
    """
    summary: Legal holds in force (?all=true for lifted ones too)
    tags: [retention]
    parameters:
      - {name: all, in: query, schema: {type: boolean, default: false}}
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: A page of holds}
      403: {description: Needs a records manager}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    # Who may ask comes before what they asked: a refusal reads the same for any query.
    require(actor, Action.RETENTION_REVIEW)
    everything = query_flag(request, "all")

    found = await holds.list_holds(
        services(request).store, actor, active_only=not everything, **paging(request)
    )
    return page_response(found, holds.hold_view)


async def apply_hold(request: Request) -> Response:
    """
    summary: Apply a legal hold to an offender, a case or a document
    tags: [retention]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [reason, note, target, id], properties: {reason: {type: string, enum: [litigation, inquiry_moratorium, mappa, subject_access_request, foi_request, unlawfully_at_large, restricted_patient, other]}, note: {type: string}, target: {type: string, enum: [offender, case, document]}, id: {type: string}}}}}}
    responses:
      201: {description: The hold}
      403: {description: 'Needs a records manager; on a person, one who sees one of their cases'}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.RETENTION_REVIEW)
    made = await holds.apply_hold(services(request).store, actor, await read_json(request))
    return JSONResponse(holds.hold_view(made), status_code=201)


async def get_hold(request: Request) -> Response:
    """
    summary: One legal hold
    tags: [retention]
    responses:
      200: {description: The hold}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    found = await holds.get_hold(services(request).store, actor, request.path_params["hold_id"])
    return JSONResponse(holds.hold_view(found))


async def lift_hold(request: Request) -> Response:
    """
    summary: Lift a legal hold, with a note saying why (audited)
    tags: [retention]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [note]}}}}
    responses:
      200: {description: 'The hold, lifted'}
      403: {description: 'Needs a records manager; on a person, one who sees all their cases'}
      404: {$ref: "#/components/responses/NotFound"}
      409: {description: 'Lifted already, saying by whom and when'}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.RETENTION_REVIEW)
    body = await read_json(request)
    lifted = await holds.lift_hold(
        services(request).store, actor, request.path_params["hold_id"], body
    )
    return JSONResponse(holds.hold_view(lifted))


async def list_runs(request: Request) -> Response:
    """
    summary: Disposal runs, newest first
    tags: [retention]
    responses:
      200: {description: A page of runs}
      403: {description: Needs a records manager}
    """
    actor = await authenticate(request)
    found = await runs.list_runs(services(request).store, actor, **paging(request))
    return page_response(found, runs.run_view)


async def get_run(request: Request) -> Response:
    """
    summary: One disposal run and what became of each record
    tags: [retention]
    responses:
      200: {description: The run}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    run = await runs.get_run(services(request).store, actor, request.path_params["run_id"])
    return JSONResponse(runs.run_view(run))


async def certificate_pdf(request: Request) -> Response:
    """
    summary: The run's certificate of destruction or transfer as PDF, blocked records with why
    tags: [retention]
    responses:
      200: {description: The certificate, content: {application/pdf: {}}}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    run = await runs.get_run(store, actor, request.path_params["run_id"])
    stones = await runs.tombstones(store, run["_id"])
    left = await certificate.remaining(store, run)
    return Response(
        certificate.as_pdf(run, stones, left),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificate-{run["_id"]}.pdf"'},
    )


async def certificate_csv(request: Request) -> Response:
    """
    summary: The run's certificate of destruction or transfer as CSV, a row per record
    tags: [retention]
    responses:
      200: {description: The certificate, content: {text/csv: {}}}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    store = services(request).store
    run = await runs.get_run(store, actor, request.path_params["run_id"])
    stones = await runs.tombstones(store, run["_id"])
    left = await certificate.remaining(store, run)
    return Response(
        certificate.as_csv(run, stones, left),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="certificate-{run["_id"]}.csv"'},
    )


routes = [
    Route("/retention/rules", list_rules, methods=["GET"]),
    Route("/retention/rules", create_rule, methods=["POST"]),
    Route("/retention/rules.csv", export_rules, methods=["GET"]),
    Route("/retention/rules.csv", import_rules, methods=["POST"]),
    Route("/retention/rules/{rule_id}", get_rule, methods=["GET"]),
    Route("/retention/rules/{rule_id}", update_rule, methods=["PUT"]),
    Route("/retention/rules/{rule_id}", delete_rule, methods=["DELETE"]),
    Route("/retention/queue", get_queue, methods=["GET"]),
    Route("/retention/records/{document_id}", get_record, methods=["GET"]),
    Route("/retention/decisions", make_decision, methods=["POST"]),
    Route("/retention/proposals", list_proposals, methods=["GET"]),
    Route("/retention/proposals/{proposal_id}", get_proposal, methods=["GET"]),
    Route("/retention/proposals/{proposal_id}/approval", approve_proposal, methods=["POST"]),
    Route("/retention/proposals/{proposal_id}/rejection", reject_proposal, methods=["POST"]),
    Route("/retention/holds", list_holds, methods=["GET"]),
    Route("/retention/holds", apply_hold, methods=["POST"]),
    Route("/retention/holds/{hold_id}", get_hold, methods=["GET"]),
    Route("/retention/holds/{hold_id}/lift", lift_hold, methods=["POST"]),
    Route("/retention/runs", list_runs, methods=["GET"]),
    Route("/retention/runs/{run_id}", get_run, methods=["GET"]),
    Route("/retention/runs/{run_id}/certificate.pdf", certificate_pdf, methods=["GET"]),
    Route("/retention/runs/{run_id}/certificate.csv", certificate_csv, methods=["GET"]),
]
