"""The search package's exception hierarchy."""

from __future__ import annotations


class SearchError(Exception):
    """Base class for every error the search package raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MalformedQuery(SearchError):
    """The search text cannot be understood; the detail says where and why."""


class IndexUnavailable(SearchError):
    """The index cannot be opened or read."""


class ExtractionFailed(SearchError):
    """A file's text could not be extracted; the detail is the reason recorded."""
