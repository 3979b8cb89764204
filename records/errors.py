"""The records layer's exception hierarchy; the HTTP layer maps it to problems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field, named as the client sent it."""

    field: str
    message: str


class RecordError(Exception):
    """Base class for every error the records layer raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(RecordError):
    """The record does not exist, or the caller may not know that it does."""

    @classmethod
    def absent(cls, kind: str, ident: object) -> NotFound:
        """The one wording for "not there" and "not yours", so neither tells them apart."""
        shown = str(ident)
        # An id is 24 characters; echo no more than that of whatever was sent.
        if len(shown) > 40:
            shown = shown[:40] + "…"
        return cls(f"no {kind} with id {shown!r}")


class Gone(RecordError):
    """A one-time link that worked once, or has expired: it will never work again."""


class Forbidden(RecordError):
    """The caller may see the record but not do this to it."""


class Unauthenticated(RecordError):
    """No valid credentials were presented."""


class Conflict(RecordError):
    """The request conflicts with the record's current state."""


class DocumentLocked(Conflict):
    """Another user holds the document's check-out lock."""

    def __init__(self, holder: str) -> None:
        super().__init__(f"the document is checked out by {holder}")
        self.holder = holder


class Duplicate(Conflict):
    """A record with the same unique key already exists."""


class StaleRevision(RecordError):
    """The client's If-Match revision is no longer current."""


class PreconditionRequired(RecordError):
    """A conditional write arrived without its If-Match header."""


class InvalidInput(RecordError):
    """Well-formed input that breaks a rule; lists each offending field."""

    def __init__(self, detail: str, errors: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", [FieldProblem(field, message)])


class ImportRefused(InvalidInput):
    """A file with a bad row: nothing was imported; the report gives every row's outcome."""

    def __init__(
        self, detail: str, report: dict[str, Any], errors: list[FieldProblem] | None = None
    ) -> None:
        super().__init__(detail, errors)
        self.report = report


class MalformedInput(RecordError):
    """Input that cannot be parsed at all."""


class TooLarge(RecordError):
    """An upload exceeds the configured size limit."""


class UnsupportedMediaType(RecordError):
    """A file of a type the service refuses to store."""


class TooManyAttempts(RecordError):
    """Repeated failures have locked the account for a while."""

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class OutputRefused(RecordError):
    """A command cannot write its output where --out names: nothing was written there."""


class Unavailable(RecordError):
    """A dependency such as the database is not answering."""


class AuditRace(Unavailable):
    """Two writers took the same place in the audit chain at once; the loser tries again."""
