"""The services an app instance holds, built in its lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from records.store import Store
from search.service import SearchService
from server.config import Settings


@dataclass
class Services:
    settings: Settings
    store: Store
    search: SearchService


def services(request: Request) -> Services:
    found = request.app.state.services
    assert isinstance(found, Services)
    return found
