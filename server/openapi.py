"""The OpenAPI description, generated from the routes' own docstrings."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.schemas import SchemaGenerator

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _response(description: str) -> dict[str, Any]:
    return {"description": description, "content": _PROBLEM}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


_STR = {"type": "string"}
_DATE = {"type": "string", "format": "date"}
_TIME = {"type": "string", "format": "date-time"}
_MARKING = {"type": "string", "enum": ["OFFICIAL", "OFFICIAL-SENSITIVE"]}

BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "PPUD records and dossier server", "version": "1"},
    "security": [{"bearer": []}, {"session": []}],
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "ppud_session"},
        },
        "parameters": {
            "limit": {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
            },
            "cursor": {"name": "cursor", "in": "query", "schema": _STR},
        },
        "responses": {
            "Malformed": _response("Malformed input"),
            "NotFound": _response("Absent, or not visible to the caller"),
            "Conflict": _response("Conflicts with the current state, such as a lock"),
            "Stale": _response("The If-Match revision is stale"),
            "TooLarge": _response("Larger than the configured limit"),
            "Unsupported": _response("A file type the service refuses"),
            "Invalid": _response("Well-formed but invalid; see errors"),
        },
        "schemas": {
            "Problem": _object(
                ["type", "title", "status", "detail"],
                type=_STR,
                title=_STR,
                status={"type": "integer"},
                detail=_STR,
                errors={
                    "type": "array",
                    "items": _object(["field", "message"], field=_STR, message=_STR),
                },
            ),
            "Page": _object(
                ["items", "next_cursor"],
                items={"type": "array", "items": {}},
                next_cursor={"type": ["string", "null"]},
            ),
            "OffenderInput": _object(
                ["family_name", "given_names", "date_of_birth"],
                family_name=_STR,
                given_names=_STR,
                date_of_birth=_DATE,
                nomis_number=_STR,
                pnc_number=_STR,
                cro_number=_STR,
                prison_number=_STR,
                crn=_STR,
                aliases={"type": "array", "items": _STR},
            ),
            "Offender": _object(
                ["id", "family_name", "given_names", "date_of_birth"],
                id=_STR,
                family_name=_STR,
                given_names=_STR,
                date_of_birth=_DATE,
                nomis_number=_STR,
                aliases={"type": "array", "items": _STR},
                revision={"type": "integer"},
            ),
            "CaseInput": _object(
                ["offender_id", "case_type", "title"],
                offender_id=_STR,
                case_type=_STR,
                title=_STR,
                team=_STR,
            ),
            "Case": _object(
                ["id", "offender_id", "case_type", "title", "team", "state"],
                id=_STR,
                offender_id=_STR,
                case_type=_STR,
                title=_STR,
                team=_STR,
                state=_STR,
                offender={"type": "object"},
                folders={"type": "array", "items": {"$ref": "#/components/schemas/Folder"}},
            ),
            "FolderInput": _object(["name"], name=_STR, parent_id=_STR),
            "Folder": _object(
                ["id", "case_id", "name"],
                id=_STR,
                case_id=_STR,
                name=_STR,
                parent_id={"type": ["string", "null"]},
            ),
            "Lock": _object(
                ["holder", "acquired_at", "expires_at"],
                holder=_STR,
                acquired_at=_TIME,
                expires_at=_TIME,
            ),
            "Version": _object(
                ["number", "filename", "media_type", "size", "sha256", "created_at", "created_by"],
                number={"type": "integer"},
                filename=_STR,
                media_type=_STR,
                size={"type": "integer"},
                sha256=_STR,
                created_at=_TIME,
                created_by=_STR,
                comment={"type": ["string", "null"]},
                text_status={
                    "type": "string",
                    "enum": ["pending", "extracting", "done", "empty", "skipped", "failed"],
                },
                text_reason={"type": ["string", "null"]},
            ),
            "Document": _object(
                [
                    "id",
                    "case_id",
                    "title",
                    "doc_type",
                    "protective_marking",
                    "revision",
                    "current_version",
                    "versions",
                ],
                id=_STR,
                case_id=_STR,
                folder_id={"type": ["string", "null"]},
                title=_STR,
                doc_type=_STR,
                document_date={"type": ["string", "null"], "format": "date"},
                protective_marking=_MARKING,
                metadata={"type": "object"},
                revision={"type": "integer"},
                current_version={"type": "integer"},
                shared_with_external={"type": "boolean"},
                restricted_to={
                    "type": ["object", "null"],
                    "description": "the named users and teams an OFFICIAL-SENSITIVE document "
                    "is limited to; null when everyone who sees the case sees it",
                    "properties": {
                        "users": {"type": "array", "items": _STR},
                        "teams": {"type": "array", "items": _STR},
                    },
                },
                lock={"oneOf": [{"$ref": "#/components/schemas/Lock"}, {"type": "null"}]},
                text_status=_STR,
                versions={"type": "array", "items": {"$ref": "#/components/schemas/Version"}},
            ),
            "DocumentUpload": _object(
                ["file", "title", "doc_type"],
                file={"type": "string", "format": "binary"},
                title=_STR,
                doc_type=_STR,
                folder_id=_STR,
                document_date=_DATE,
                protective_marking=_MARKING,
                handling_instruction=_STR,
                metadata={"type": "string", "description": "a JSON object"},
                comment=_STR,
            ),
            "VersionUpload": _object(
                ["file"],
                file={"type": "string", "format": "binary"},
                comment=_STR,
                check_in={"type": "boolean"},
            ),
            "DocumentChanges": _object(
                [],
                title=_STR,
                doc_type=_STR,
                folder_id=_STR,
                document_date=_DATE,
                protective_marking=_MARKING,
                handling_instruction=_STR,
                metadata={"type": "object"},
            ),
            "SignIn": _object(
                ["username", "password", "totp"], username=_STR, password=_STR, totp=_STR
            ),
        },
    },
}

generator = SchemaGenerator(BASE)
_PATH_PARAMETER = re.compile(r"{(\w+)}")


def describe(routes: list[BaseRoute]) -> dict[str, Any]:
    """The schema for routes, with each path's {parameters} declared as OpenAPI requires."""
    schema = generator.get_schema(routes=routes)
    for path, operations in schema.get("paths", {}).items():
        names = _PATH_PARAMETER.findall(path)
        if names:
            operations["parameters"] = [
                {"name": name, "in": "path", "required": True, "schema": _STR} for name in names
            ]
    return schema


async def openapi(request: Request) -> Response:
    """
    summary: This description
    tags: [health]
    security: []
    responses:
      200: {description: OpenAPI 3.1}
    """
    return JSONResponse(describe(request.app.routes))
