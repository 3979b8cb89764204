"""The demo generator's exception hierarchy."""

from __future__ import annotations


class DemoError(Exception):
    """Base class for every error the demo generator raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
