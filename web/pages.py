"""The pages' routes; none is part of the API's description."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web import (
    audit_pages,
    case_file_forms,
    cases,
    contacts,
    documents,
    dossiers,
    help_pages,
    home,
    import_pages,
    job_pages,
    list_exports,
    list_pages,
    offenders,
    retention_pages,
    search_pages,
    setup_pages,
    signin,
    task_pages,
    uploads,
    user_pages,
    workflow_pages,
)


def _page(
    path: str, endpoint: Callable[[Request], Awaitable[Response]], method: str = "GET"
) -> Route:
    return Route(path, endpoint, methods=[method], include_in_schema=False)


routes = [
    _page("/", home.home),
    _page("/sign-in", signin.sign_in_form),
    _page("/sign-in", signin.sign_in, "POST"),
    _page("/sign-in/code", signin.code_form),
    _page("/sign-in/code", signin.code, "POST"),
    _page("/sign-in/enrol", signin.enrol_form),
    _page("/sign-in/enrol", signin.enrol, "POST"),
    _page("/sign-out", signin.sign_out_form),
    _page("/sign-out", signin.sign_out, "POST"),
    *setup_pages.routes,
    *search_pages.routes,
    *dossiers.routes,
    *job_pages.routes,
    *audit_pages.routes,
    *offenders.routes,
    *cases.routes,
    *case_file_forms.routes,
    *contacts.routes,
    *uploads.routes,
    *documents.routes,
    *user_pages.routes,
    *task_pages.routes,
    *workflow_pages.routes,
    *import_pages.routes,
    *list_exports.routes,
    *list_pages.routes,
    *help_pages.routes,
    *retention_pages.routes,
]
