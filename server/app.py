"""The Starlette application: routes, error handling and the services' lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Mount, Route, Router

from dossier_builder import templates as dossier_templates
from records.indexes import ensure_indexes
from records.store import Store, open_store
from retention.startup import prepare as prepare_retention
from search.service import SearchService
from server import sweep
from server.config import Settings
from server.middleware import RequestContext
from server.openapi import openapi
from server.problems import HANDLERS
from server.routes import (
    audit,
    case_file,
    cases,
    contacts,
    documents,
    dossiers,
    health,
    lists,
    offenders,
    reports,
    session,
    users,
    workflows,
)
from server.routes import help as help_routes
from server.routes import retention as retention_routes
from server.routes import search as search_routes
from server.state import Services
from web import assets
from web import errors as web_errors
from web.pages import routes as page_routes

API_ROUTES = [
    *health.routes,
    *session.routes,
    *offenders.routes,
    *cases.routes,
    *case_file.routes,
    *contacts.routes,
    *documents.routes,
    *audit.routes,
    *search_routes.routes,
    *dossiers.routes,
    *users.routes,
    *workflows.routes,
    *reports.routes,
    *lists.routes,
    *help_routes.routes,
    *retention_routes.routes,
    Route("/openapi.json", openapi, methods=["GET"]),
]


def create_app(settings: Settings, *, store: Store | None = None) -> Starlette:
    """The app; with store given (tests), it is used and left open on shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = store is None
        if store is None:
            assert settings.mongodb_uri is not None, "serve starts or finds the database first"
            active = open_store(settings.mongodb_uri.reveal(), settings.database)
        else:
            active = store
        await ensure_indexes(active)
        await dossier_templates.seed(active)
        await prepare_retention(active)
        app.state.services = Services(
            settings=settings,
            store=active,
            search=SearchService(settings.search_dir, settings.tika_url),
        )
        sweeper = asyncio.create_task(sweep.run_periodically(active, settings)) if owned else None
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
            if owned:
                await active.close()

    app = Starlette(
        routes=[
            *health.routes,
            Mount("/api/v1", routes=API_ROUTES),
            *assets.mounts(),
            *page_routes,
        ],
        exception_handlers=web_errors.for_pages(HANDLERS),
        lifespan=lifespan,
    )
    # No redirect from "/cases/" to "/cases": Starlette builds it from the
    # client's Host header, and a 307 to wherever that names is no answer.
    app.router.redirect_slashes = False
    for route in app.router.routes:
        if isinstance(route, Mount) and isinstance(route.app, Router):
            route.app.redirect_slashes = False
    app.add_middleware(
        RequestContext, crash_page=web_errors.crash_page, hsts=not settings.development
    )
    return app


def app_from_environment() -> Starlette:
    """Factory for uvicorn worker processes; serve has already found the database."""
    from server.config import load_settings
    from server.logs import configure

    settings = load_settings()
    configure(settings.log_level, settings.log_format)
    return create_app(settings)
