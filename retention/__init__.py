"""Retention schedules, legal holds and disposition (issue 9)."""
