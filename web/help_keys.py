"""Which help page a screen's Help link opens, read from the screen's address."""

from __future__ import annotations

import re

from records.help_pages import KEYS

# First match wins: a case's upload, dossier and audit screens before the case itself.
_SCREENS = (
    (re.compile(r"^/$"), "home"),
    (re.compile(r"^/offenders(/|$)"), "offenders"),
    (re.compile(r"^/cases/[^/]+/upload$"), "upload"),
    (re.compile(r"^/cases/[^/]+/dossiers(/|$)|^/jobs/"), "dossier"),
    (re.compile(r"^/(cases|documents)/[^/]+/audit$"), "audit"),
    (re.compile(r"^/cases/"), "case"),
    (re.compile(r"^/documents/"), "document"),
    (re.compile(r"^/search$"), "search"),
    (re.compile(r"^/users(/|$)"), "users"),
    (re.compile(r"^/lists(/|$)"), "lists"),
    (re.compile(r"^/tasks$"), "tasks"),
    (re.compile(r"^/(workflows|bank-holidays)(/|$)"), "workflows"),
    (re.compile(r"^/imports(/|$)"), "imports"),
    (re.compile(r"^/reports$"), "reports"),
    (re.compile(r"^/contacts(/|$)"), "contacts"),
)
_HELP = re.compile(r"^/help/([a-z_]+)(/edit)?$")


def help_key_for(path: str) -> str:
    """The help page for the screen at path; the home page's for a screen without its own."""
    shown = _HELP.match(path)
    if shown and shown.group(1) in KEYS:
        return shown.group(1)
    return next((key for pattern, key in _SCREENS if pattern.search(path)), "home")
