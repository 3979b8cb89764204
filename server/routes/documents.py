"""Document, version, content and lock routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import cases, documents, locks, restriction, versions
from records.errors import InvalidInput, NotFound
from records.policy import Action
from records.validation import Fields
from server import stamped
from server.auth import authenticate
from server.content import send_version
from server.routes._common import read_json
from server.state import services
from server.uploads import receive_upload


def _document_response(
    request: Request, document: dict[str, Any], *, status: int = 200, **extra: Any
) -> JSONResponse:
    view = documents.document_view(document, now=services(request).store.now())
    return JSONResponse(
        {**view, **extra}, status_code=status, headers={"ETag": f'"{document["revision"]}"'}
    )


async def create_document(request: Request) -> Response:
    """
    summary: File a document in a case (multipart, streamed to storage)
    tags: [documents]
    requestBody: {required: true, content: {multipart/form-data: {schema: {$ref: "#/components/schemas/DocumentUpload"}}}}
    responses:
      201: {description: The new document, content: {application/json: {schema: {$ref: "#/components/schemas/Document"}}}}
      400: {$ref: "#/components/responses/Malformed"}
      404: {$ref: "#/components/responses/NotFound"}
      413: {$ref: "#/components/responses/TooLarge"}
      415: {$ref: "#/components/responses/Unsupported"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    app = services(request)
    # Refuse before reading a byte when the case is missing or read-only to us.
    case = await cases.get_case(
        app.store, actor, request.path_params["case_id"], action=Action.DOCUMENT_WRITE
    )

    async with receive_upload(
        request, app.store, max_bytes=app.settings.max_upload_bytes
    ) as upload:
        stored = upload.require_file()
        created = await documents.create_document(app.store, actor, case, upload.fields, stored)
    return _document_response(request, created, status=201)


async def get_document(request: Request) -> Response:
    """
    summary: Read a document with its versions and lock
    tags: [documents]
    responses:
      200: {description: The document; ETag is its revision, content: {application/json: {schema: {$ref: "#/components/schemas/Document"}}}}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    document = await documents.view(
        services(request).store, actor, request.path_params["document_id"]
    )
    return _document_response(request, document)


async def update_document(request: Request) -> Response:
    """
    summary: Change a document's metadata (If-Match required)
    tags: [documents]
    parameters:
      - {name: If-Match, in: header, required: true, schema: {type: string}, description: 'The revision read, as "3"'}
    requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/DocumentChanges"}}}}
    responses:
      200: {description: The changed document, content: {application/json: {schema: {$ref: "#/components/schemas/Document"}}}}
      400: {$ref: "#/components/responses/Malformed"}
      403: {description: The caller may read the document but not change it}
      404: {$ref: "#/components/responses/NotFound"}
      412: {$ref: "#/components/responses/Stale"}
      422: {$ref: "#/components/responses/Invalid"}
      428: {description: If-Match is missing}
    """
    actor = await authenticate(request)
    store = services(request).store
    document_id = request.path_params["document_id"]
    # Visibility first: a stranger learns nothing from a header error.
    await documents.load(store, actor, document_id, Action.DOCUMENT_WRITE)
    expected = documents.parse_if_match(request.headers.get("if-match"))

    updated = await documents.update_metadata(
        store, actor, document_id, await read_json(request), expected_revision=expected
    )
    return _document_response(request, updated)


async def set_sharing(request: Request) -> Response:
    """
    summary: Share a document with the case's external users, or stop
    tags: [documents]
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [shared_with_external], properties: {shared_with_external: {type: boolean}}}}}}
    responses:
      200: {description: The document, content: {application/json: {schema: {$ref: "#/components/schemas/Document"}}}}
      400: {$ref: "#/components/responses/Malformed"}
      403: {description: Sharing needs caseworker or above}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    updated = await documents.set_sharing(
        services(request).store, actor, request.path_params["document_id"], await read_json(request)
    )
    return _document_response(request, updated)


async def set_restriction(request: Request) -> Response:
    """
    summary: Limit an OFFICIAL-SENSITIVE document to named users or teams, or lift the limit
    description: Everyone named must already see the case, and the caller must stay inside the limit. Both lists empty lifts it. Outside the limit the document answers 404, in search and listings too.
    tags: [documents]
    requestBody: {required: true, content: {application/json: {schema: {type: object, properties: {users: {type: array, items: {type: string}}, teams: {type: array, items: {type: string}}}}}}}
    responses:
      200: {description: The document, content: {application/json: {schema: {$ref: "#/components/schemas/Document"}}}}
      400: {$ref: "#/components/responses/Malformed"}
      403: {description: Limiting needs caseworker or above in the case's team}
      404: {$ref: "#/components/responses/NotFound"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    updated = await restriction.set_restriction(
        services(request).store, actor, request.path_params["document_id"], await read_json(request)
    )
    return _document_response(request, updated)


async def get_manifest(request: Request) -> Response:
    """
    summary: The manifest of a dossier document
    tags: [documents]
    responses:
      200: {description: The manifest}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    document, _ = await documents.load(
        services(request).store, actor, request.path_params["document_id"], Action.DOCUMENT_READ
    )
    if not document.get("manifest"):
        raise NotFound("this document is not a dossier, so it has no manifest")
    return JSONResponse(document["manifest"])


async def add_version(request: Request) -> Response:
    """
    summary: Add a version (multipart file, comment?, check_in?)
    tags: [documents]
    requestBody: {required: true, content: {multipart/form-data: {schema: {$ref: "#/components/schemas/VersionUpload"}}}}
    responses:
      201: {description: 'The document; "version" is the new number', content: {application/json: {schema: {$ref: "#/components/schemas/Document"}}}}
      400: {$ref: "#/components/responses/Malformed"}
      403: {description: Adding a version needs caseworker or above}
      404: {$ref: "#/components/responses/NotFound"}
      409: {$ref: "#/components/responses/Conflict"}
      413: {$ref: "#/components/responses/TooLarge"}
      415: {$ref: "#/components/responses/Unsupported"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    app = services(request)
    document_id = request.path_params["document_id"]
    # Answer a locked document's 409 before the client sends the whole file.
    document, _ = await documents.load(app.store, actor, document_id, Action.DOCUMENT_WRITE)
    versions.check_not_locked_by_other(app.store, actor, document)

    async with receive_upload(
        request, app.store, max_bytes=app.settings.max_upload_bytes
    ) as upload:
        stored = upload.require_file()
        fields = Fields(upload.fields)
        fields.unknown({"comment", "check_in"})
        comment = fields.text("comment", required=False, max_length=documents.MAX_COMMENT)
        check_in = _flag(fields, "check_in")
        fields.check()
        added = await versions.add_version(
            app.store, actor, document_id, stored, comment=comment, check_in=check_in
        )

    document, _ = await documents.load(app.store, actor, document_id, Action.DOCUMENT_READ)
    return _document_response(request, document, status=201, version=added["number"])


def _flag(fields: Fields, name: str) -> bool:
    raw = str(fields.data.get(name, "false")).strip().lower()
    if raw not in ("true", "false", "1", "0", "yes", "no", "on", "off", ""):
        fields.fail(name, "must be true or false")
    return raw in ("true", "1", "yes", "on")


async def download_current(request: Request) -> Response:
    """
    summary: Download the current version's bytes (Range supported)
    tags: [documents]
    responses:
      200: {description: The bytes}
      206: {description: The requested range}
      304: {description: Not modified (If-None-Match)}
      404: {$ref: "#/components/responses/NotFound"}
      416: {description: Range not satisfiable}
    """
    return await _download(request, None)


async def download_version(request: Request) -> Response:
    """
    summary: Download one version's bytes (Range supported)
    tags: [documents]
    responses:
      200: {description: The bytes}
      206: {description: The requested range}
      304: {description: Not modified (If-None-Match)}
      404: {$ref: "#/components/responses/NotFound"}
      416: {description: Range not satisfiable}
    """
    raw = request.path_params["number"]
    # isascii too: str.isdigit() accepts "²", which int() then refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise NotFound(f"there is no version {raw!r}")
    return await _download(request, int(raw))


async def _download(request: Request, number: int | None) -> Response:
    actor = await authenticate(request)
    store = services(request).store
    opened = await versions.open_version(store, actor, request.path_params["document_id"], number)
    if stamped.wants_stamp(actor, opened.version):
        return await stamped.send_stamped(request, actor, opened)

    async def audit_download(first: int, last: int) -> None:
        await versions.record_download(store, actor, opened, first=first, last=last)

    def read(first: int, last: int) -> AsyncIterator[bytes]:
        return opened.read(store, first, last)

    return await send_version(request, opened.version, read, on_send=audit_download)


async def check_out(request: Request) -> Response:
    """
    summary: Check the document out (take its lock)
    tags: [locks]
    requestBody: {required: false, content: {application/json: {schema: {type: object, properties: {minutes: {type: integer, minimum: 1, maximum: 10080, default: 60}}}}}}
    responses:
      200: {description: The lock, content: {application/json: {schema: {$ref: "#/components/schemas/Lock"}}}}
      400: {$ref: "#/components/responses/Malformed"}
      403: {description: Checking out needs caseworker or above}
      404: {$ref: "#/components/responses/NotFound"}
      409: {$ref: "#/components/responses/Conflict"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    store = services(request).store
    # Visibility first: a stranger learns nothing from a body error.
    await documents.load(store, actor, request.path_params["document_id"], Action.DOCUMENT_WRITE)
    body = await read_json(request) if await _has_body(request) else {}
    fields = Fields(body)
    fields.unknown({"minutes"})
    fields.check()
    minutes = locks.check_minutes(body.get("minutes"))

    updated = await locks.check_out(
        store, actor, request.path_params["document_id"], minutes=minutes
    )
    return JSONResponse(documents.lock_view(updated["lock"], now=store.now()))


async def _has_body(request: Request) -> bool:
    if request.headers.get("content-length", "") not in ("", "0"):
        return True
    return "chunked" in request.headers.get("transfer-encoding", "")


async def release_lock(request: Request) -> Response:
    """
    summary: Release the lock (holder), or force it (manager or admin, ?force=true, with a reason and the second factor again)
    tags: [locks]
    parameters:
      - {name: force, in: query, schema: {type: boolean}}
    requestBody: {required: false, content: {application/json: {schema: {type: object, properties: {reason: {type: string}, code: {type: string, description: "the authenticator's code, or a recovery code"}}}}}}
    responses:
      204: {description: Released}
      403: {description: Forcing needs manager or admin}
      404: {$ref: "#/components/responses/NotFound"}
      409: {$ref: "#/components/responses/Conflict"}
    """
    actor = await authenticate(request)
    force = request.query_params.get("force", "").lower() in ("true", "1", "yes")
    # Forcing carries {reason, code} in the body: why, and the second factor again.
    body = await read_json(request) if force and await _has_body(request) else {}
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object with reason and code")
    await locks.release(
        services(request).store,
        actor,
        request.path_params["document_id"],
        force=force,
        reason=body.get("reason"),
        code=body.get("code"),
    )
    return Response(status_code=204)


routes = [
    Route("/cases/{case_id}/documents", create_document, methods=["POST"]),
    Route("/documents/{document_id}", get_document, methods=["GET"]),
    Route("/documents/{document_id}", update_document, methods=["PATCH"]),
    Route("/documents/{document_id}/sharing", set_sharing, methods=["PUT"]),
    Route("/documents/{document_id}/restriction", set_restriction, methods=["PUT"]),
    Route("/documents/{document_id}/manifest", get_manifest, methods=["GET"]),
    Route("/documents/{document_id}/versions", add_version, methods=["POST"]),
    Route("/documents/{document_id}/content", download_current, methods=["GET"]),
    Route("/documents/{document_id}/versions/{number}/content", download_version, methods=["GET"]),
    Route("/documents/{document_id}/lock", check_out, methods=["POST"]),
    Route("/documents/{document_id}/lock", release_lock, methods=["DELETE"]),
]
