"""Lists of values: read by every internal user, changed, imported and exported by administrators."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import list_csv, list_values
from records.errors import InvalidInput, MalformedInput, TooLarge
from records.policy import Action, require
from server.auth import authenticate
from server.routes._common import read_json
from server.state import services


async def list_lists(request: Request) -> Response:
    """
    summary: The lists of values there are
    tags: [lists]
    responses:
      200: {description: '{items: [{name, label, description}], next_cursor: null}'}
      403: {description: Lists are for internal users}
    """
    actor = await authenticate(request)
    return JSONResponse({"items": list_values.list_summaries(actor), "next_cursor": None})


async def get_list(request: Request) -> Response:
    """
    summary: A list's values in order; retired ones only when asked for
    tags: [lists]
    parameters:
      - {name: include_retired, in: query, schema: {type: boolean, default: false}}
    responses:
      200: {description: '{name, label, description, items: [{code, label, order, retired}], next_cursor: null}'}
      403: {description: Lists are for internal users}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    found = await list_values.read_list(
        services(request).store,
        actor,
        request.path_params["list_name"],
        include_retired=_flag(request, "include_retired"),
    )
    return JSONResponse(found)


async def put_value(request: Request) -> Response:
    """
    summary: Create a value, or change its label, order or retirement (administrators)
    tags: [lists]
    requestBody: {required: true, content: {application/json: {schema: {type: object, properties: {label: {type: string}, order: {type: integer}, retired: {type: boolean}}}}}}
    responses:
      200: {description: The value as changed}
      201: {description: The new value}
      403: {description: Only administrators change lists}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.LISTS_MANAGE)
    value, created = await list_values.put_value(
        services(request).store,
        actor,
        request.path_params["list_name"],
        request.path_params["code"],
        await read_json(request),
    )
    return JSONResponse(value, status_code=201 if created else 200)


async def delete_value(request: Request) -> Response:
    """
    summary: Delete a value no record holds (administrators); one in use is retired instead
    tags: [lists]
    responses:
      204: {description: Deleted}
      403: {description: Only administrators change lists}
      404: {$ref: "#/components/responses/NotFound"}
      409: {description: The value is in use; retire it instead}
    """
    actor = await authenticate(request)
    await list_values.delete_value(
        services(request).store,
        actor,
        request.path_params["list_name"],
        request.path_params["code"],
    )
    return Response(status_code=204)


async def export_list(request: Request) -> Response:
    """
    summary: A list's values as CSV, retired ones included
    tags: [lists]
    responses:
      200: {description: 'text/csv: code, label, order, retired'}
      403: {description: Lists are for internal users}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    name = request.path_params["list_name"]
    found = await list_values.read_list(services(request).store, actor, name, include_retired=True)
    return Response(
        list_csv.export_csv(found["items"]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found["name"]}.csv"'},
    )


async def import_list(request: Request) -> Response:
    """
    summary: Import a list's values from CSV (administrators); a file with any bad row imports nothing
    description: The body is the CSV file (text/csv), or a multipart form with a file part. Columns code, label, order, retired; a row creates or changes the value with its code. With dry_run=true nothing is written and the report says what would be.
    tags: [lists]
    parameters:
      - {name: dry_run, in: query, schema: {type: boolean, default: false}}
    requestBody: {required: true, content: {text/csv: {schema: {type: string}}, multipart/form-data: {schema: {type: object, properties: {file: {type: string, format: binary}}}}}}
    responses:
      200: {description: '{list, dry_run, imported, counts, problems, rows: [{line, code, outcome, problems}]}'}
      403: {description: Only administrators change lists}
      404: {$ref: "#/components/responses/NotFound"}
      413: {$ref: "#/components/responses/TooLarge"}
      422: {description: 'Nothing was imported; the problem holds the report (report) and each bad row (errors)'}
    """
    actor = await authenticate(request)
    require(actor, Action.LISTS_MANAGE)
    name = request.path_params["list_name"]
    list_values.definition(name)
    report = await list_csv.import_csv(
        services(request).store,
        actor,
        name,
        await _file(request),
        dry_run=_flag(request, "dry_run"),
    )
    return JSONResponse(report)


async def _file(request: Request) -> bytes:
    """The CSV file: the whole body, or the file part of a multipart form."""
    limit = list_csv.MAX_IMPORT_BYTES
    declared = request.headers.get("content-length", "")
    # A form's boundaries and headers add a little to the file's own size.
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise TooLarge(f"a list's CSV file is limited to {limit} bytes")
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5)
        part = form.get("file")
        if part is None or isinstance(part, str):
            raise InvalidInput.field("file", "send the CSV file as the form's file part")
        raw = await part.read(limit + 1)
    else:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                break
        raw = bytes(body)
    if len(raw) > limit:
        raise TooLarge(f"a list's CSV file is limited to {limit} bytes")
    if not raw:
        raise MalformedInput("send the CSV file as the request body")
    return raw


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false").lower()
    if raw not in ("true", "false"):
        raise InvalidInput.field(name, f"must be true or false, not {raw[:20]!r}")
    return raw == "true"


# The .csv routes come first: "/lists/{list_name}" would also match "case_types.csv".
routes = [
    Route("/lists", list_lists, methods=["GET"]),
    Route("/lists/{list_name}.csv", export_list, methods=["GET"]),
    Route("/lists/{list_name}.csv", import_list, methods=["POST"]),
    Route("/lists/{list_name}", get_list, methods=["GET"]),
    Route("/lists/{list_name}/values/{code}", put_value, methods=["PUT"]),
    Route("/lists/{list_name}/values/{code}", delete_value, methods=["DELETE"]),
]
