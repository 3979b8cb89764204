"""Online help: each screen's page, in Markdown and as the safe HTML the pages show."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from records import help_pages
from records.policy import Action, require
from server.auth import authenticate
from server.routes._common import optional_if_match, read_json
from server.state import services
from web.markdown import render


async def get_help(request: Request) -> Response:
    """
    summary: A screen's help page
    tags: [help]
    responses:
      200: {description: '{key, title, markdown, html, revision, updated_at, updated_by}; ETag is the revision'}
      404: {$ref: "#/components/responses/NotFound"}
    """
    actor = await authenticate(request)
    found = await help_pages.get_page(services(request).store, actor, request.path_params["key"])
    return _answer(found)


async def put_help(request: Request) -> Response:
    """
    summary: Replace a screen's help text, in Markdown (administrators)
    tags: [help]
    parameters:
      - {name: If-Match, in: header, required: false, schema: {type: string}, description: 'Replace only this revision, as "3"'}
    requestBody: {required: true, content: {application/json: {schema: {type: object, required: [markdown], properties: {markdown: {type: string, maxLength: 20000}}}}}}
    responses:
      200: {description: The page as stored}
      403: {description: Only administrators change the help}
      404: {$ref: "#/components/responses/NotFound"}
      412: {$ref: "#/components/responses/Stale"}
      422: {$ref: "#/components/responses/Invalid"}
    """
    actor = await authenticate(request)
    require(actor, Action.HELP_EDIT)
    expected = optional_if_match(request)
    saved = await help_pages.put_page(
        services(request).store,
        actor,
        request.path_params["key"],
        await read_json(request),
        expected_revision=expected,
    )
    return _answer(saved)


def _answer(page: dict[str, Any]) -> Response:
    shown = help_pages.page_view(page)
    return JSONResponse(
        {**shown, "html": str(render(shown["markdown"]))},
        headers={"ETag": f'"{page["revision"]}"'},
    )


routes = [
    Route("/help/{key}", get_help, methods=["GET"]),
    Route("/help/{key}", put_help, methods=["PUT"]),
]
