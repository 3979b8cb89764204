"""The dossier builder's exception hierarchy."""

from __future__ import annotations


class DossierError(Exception):
    """Base class for every error the dossier builder raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnusableSource(DossierError):
    """A source cannot go into a dossier; the detail names it and says why."""

    def __init__(self, title: str, why: str) -> None:
        super().__init__(f"{title!r} cannot go into the dossier: {why}")
        self.title = title
