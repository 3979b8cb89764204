"""Retention and disposition: schedules from case facts, legal holds, two-person
destruction with certificates, transfer as BagIt packages.

A service over records/ (product.md, "Retention"): it reads and writes the
same MongoDB, asks records.policy, and leaves its events in records.audit.
"""

from __future__ import annotations

from retention.errors import BadRule, HoldActive, NotDue, RetentionError, SamePerson

__all__ = ["BadRule", "HoldActive", "NotDue", "RetentionError", "SamePerson"]
