"""Jinja2 for the pages: autoescaping always on, times shown in Europe/London."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

LONDON = ZoneInfo("Europe/London")
TEMPLATES = Path(__file__).resolve().parent / "templates"

# Sent with every page: nothing from another origin, no inline script or
# style, no framing; a page of a case is never cached by the browser or a proxy.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def london_time(value: datetime | str | None) -> str:
    """A moment as GOV.UK writes one: ``2 March 2026 at 9:05am``, in UK local time."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the store keeps UTC
    local = moment.astimezone(LONDON)
    return f"{london_date(local)} at {_clock(local)}"


def london_date(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(LONDON)
    return f"{moment.day} {moment:%B %Y}"


def _clock(local: datetime) -> str:
    # The GOV.UK style guide: "midday" and "midnight", not 12pm and 12am.
    if (local.hour, local.minute) == (12, 0):
        return "midday"
    if (local.hour, local.minute) == (0, 0):
        return "midnight"
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{'am' if local.hour < 12 else 'pm'}"


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["london_time"] = london_time
    env.filters["london_date"] = london_date
    return env


def render(name: str, context: Mapping[str, Any], *, status: int = 200) -> HTMLResponse:
    html = environment().get_template(name).render(context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
