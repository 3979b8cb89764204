"""Retention's exception hierarchy.

Each error is also the records error it answers as (records.errors), so the
one HTTP handler maps it without knowing about retention.
"""

from __future__ import annotations

from records.errors import Conflict, Forbidden, InvalidInput, RecordError


class RetentionError(RecordError):
    """Base class for every error retention raises on purpose."""


class BadRule(RetentionError, InvalidInput):
    """A retention rule, or a row of a rules file, breaks a rule of its own."""


class HoldActive(RetentionError, Conflict):
    """A legal hold covers the record, so it cannot be destroyed or transferred."""


class NotDue(RetentionError, Conflict):
    """The record is not in a state the decision applies to."""


class SamePerson(RetentionError, Forbidden):
    """The approver proposed the disposal themselves: two people must agree."""
