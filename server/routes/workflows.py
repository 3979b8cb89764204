"""Workflow definitions, bank holidays and tasks."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import cases, tasks, transitions, workflows, working_days
from records.actors import Actor
from records.errors import InvalidInput
from records.paging import Page
from records.policy import Action, require
from server.auth import authenticate
from server.routes._common import csv_response, page_response, paging, read_body, read_json
from server.state import services

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")


async def list_workflows(request: Request) -> Response:
    """
    summary: Every version of every case type's workflow, newest first
    tags: [workflows]
    responses:
      200: {description: The definitions}
    """
    actor = await authenticate(request)
    found = await workflows.list_definitions(services(request).store, actor)
    return JSONResponse({"items": [workflows.workflow_view(w) for w in found], "next_cursor": None})


async def export_workflow(request: Request) -> Response:
    """
    summary: One version of a workflow as YAML, to edit and import again
    tags: [workflows]
    responses:
      200: {description: The definition, content: {application/yaml: {}}}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    version = _version(request.path_params["version"])
    stored = await workflows.get_version(
        services(request).store, actor, request.path_params["case_type"], version
    )
    return Response(workflows.export_yaml(stored), media_type="application/yaml")


async def import_workflow(request: Request) -> Response:
    """
    summary: Import a new version of a case type's workflow (administrators)
    description: The body is the YAML a workflow exports. Running cases keep the version they started with until migrated.
    tags: [workflows]
    requestBody: {required: true, content: {application/yaml: {schema: {type: string}}}}
    responses:
      201: {description: The new version}
      403: {description: Needs administrator}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    # Asked first: someone who may not import learns that, not what was wrong with the body.
    require(actor, Action.WORKFLOWS_MANAGE)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in YAML_TYPES:
        raise InvalidInput(f"send the definition as application/yaml, not {kind or 'nothing'}")
    body = await read_body(request, limit=workflows.MAX_YAML_BYTES, what="workflow definitions")
    stored = await workflows.import_yaml(
        services(request).store, actor, body, case_type=request.path_params["case_type"]
    )
    return JSONResponse(workflows.workflow_view(stored), status_code=201)


async def migrate_workflow(request: Request) -> Response:
    """
    summary: Move the running cases of an older version onto the newest (administrators)
    tags: [workflows]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [from_version], properties: {from_version: {type: integer}}}}}}
    responses:
      200: {description: '{migrated, to_version, left_in_states}'}
      403: {description: Needs administrator}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    done = await transitions.migrate(
        services(request).store, actor, request.path_params["case_type"], await read_json(request)
    )
    return JSONResponse(done)


def _version(raw: str, *, field: str = "version") -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        raise InvalidInput.field(field, f"must be a whole number, not {raw[:20]!r}")
    return int(raw)


async def list_bank_holidays(request: Request) -> Response:
    """
    summary: The bank holidays of England and Wales that deadlines skip, by year
    tags: [workflows]
    responses:
      200: {description: The years and their days}
    """
    actor = await authenticate(request)
    years = await working_days.bank_holidays(services(request).store, actor)
    return JSONResponse({"items": [{"year": y["_id"], "days": y["days"]} for y in years]})


async def set_bank_holidays(request: Request) -> Response:
    """
    summary: Replace one year's bank holidays (administrators)
    tags: [workflows]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [days], properties: {days: {type: array, items: {type: object, properties: {date: {type: string, format: date}, name: {type: string}}}}}}}}}
    responses:
      200: {description: The year}
      403: {description: Needs administrator}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    year = _version(request.path_params["year"], field="year")
    saved = await working_days.set_year(
        services(request).store, actor, year, await read_json(request)
    )
    return JSONResponse({"year": saved["_id"], "days": saved["days"]})


async def list_tasks(request: Request) -> Response:
    """
    summary: Tasks of the cases the caller may see
    tags: [tasks]
    parameters:
      - {name: case_id, in: query, schema: {type: string}}
      - {name: team, in: query, schema: {type: string}}
      - {name: assignee, in: query, schema: {type: string}}
      - {name: due, in: query, schema: {type: string, enum: [overdue, soon]}}
      - {name: state, in: query, schema: {type: string, enum: [open, done, cancelled, any]}}
      - {$ref: "#/components/parameters/limit"}
      - {$ref: "#/components/parameters/cursor"}
    responses:
      200: {description: A page of tasks}
    """
    actor = await authenticate(request)
    store = services(request).store
    found = await _tasks(request, actor, **paging(request))
    now = store.now()
    return page_response(found, lambda t: tasks.task_view(t, now=now))


async def export_tasks(request: Request) -> Response:
    """
    summary: Tasks as CSV, with the same filters as /tasks (up to 10,000 rows)
    tags: [tasks]
    responses:
      200: {description: CSV, content: {text/csv: {}}}
    """
    actor = await authenticate(request)
    text = await tasks.export_csv(services(request).store, actor, **_filters(request))
    return csv_response(text, "tasks.csv")


def _filters(request: Request) -> dict[str, Any]:
    params = request.query_params
    return {
        "case_id": params.get("case_id"),
        "team": params.get("team"),
        "assignee": params.get("assignee"),
        "due": params.get("due"),
        "state": params.get("state") or "open",
    }


async def _tasks(request: Request, actor: Actor, *, limit: int | None, cursor: str | None) -> Page:
    return await tasks.list_tasks(
        services(request).store, actor, limit=limit, cursor=cursor, **_filters(request)
    )


async def create_task(request: Request) -> Response:
    """
    summary: Add a task to a case by hand
    tags: [tasks]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [title, due], properties: {title: {type: string}, due: {type: string, format: date}, assignee: {type: string}}}}}}
    responses:
      201: {description: The task}
      403: {description: Needs caseworker or above in the case's team}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    case = await cases.get_case(store, actor, request.path_params["case_id"])
    made = await tasks.create(store, actor, case, await read_json(request))
    return JSONResponse(tasks.task_view(made, now=store.now()), status_code=201)


async def change_task(request: Request) -> Response:
    """
    summary: Mark a task done, or assign it
    tags: [tasks]
    requestBody: {required: true, content: {application/json: {schema: {type: object, properties: {state: {type: string, enum: [done]}, assignee: {type: string}}}}}}
    responses:
      200: {description: The task}
      404: {$ref: "#/components/responses/NotFound"}
      409: {$ref: "#/components/responses/Conflict"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    changed = await tasks.change(
        store, actor, request.path_params["task_id"], await read_json(request)
    )
    return JSONResponse(tasks.task_view(changed, now=store.now()))


routes = [
    Route("/workflows", list_workflows, methods=["GET"]),
    Route("/workflows/{case_type}", import_workflow, methods=["POST"]),
    Route("/workflows/{case_type}/versions/{version}.yaml", export_workflow, methods=["GET"]),
    Route("/workflows/{case_type}/migrations", migrate_workflow, methods=["POST"]),
    Route("/bank-holidays", list_bank_holidays, methods=["GET"]),
    Route("/bank-holidays/{year}", set_bank_holidays, methods=["PUT"]),
    Route("/tasks", list_tasks, methods=["GET"]),
    Route("/tasks.csv", export_tasks, methods=["GET"]),
    Route("/cases/{case_id}/tasks", create_task, methods=["POST"]),
    Route("/tasks/{task_id}", change_task, methods=["PATCH"]),
]
