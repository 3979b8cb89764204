"""What `ppud demo load` prints: counts, who can sign in and how; never a document's words."""

from __future__ import annotations

from demo.load import MEDIA, LoadSummary
from demo.staff import MEMBERS


def describe(summary: LoadSummary) -> list[str]:
    made = summary.created
    heading = f"demo casework, seed {summary.seed}, {summary.offenders} offenders"
    if summary.with_documents < summary.offenders:
        heading += f" (documents for the first {summary.with_documents})"
    if summary.nothing_new:
        lines = [f"{heading}: nothing new was needed, all of it was already loaded"]
    else:
        kinds = ", ".join(
            f"{summary.formats[fmt]} {label}"
            for fmt, label in MEDIA.items()
            if summary.formats[fmt]
        )
        pages = f" ({summary.dossier_pages} pages)" if summary.dossier_pages else ""
        lines = [
            f"{heading}: loaded",
            f"  {made['offenders']} offenders, {made['cases']} cases, {made['documents']} "
            f"documents ({kinds or 'none'}), {made['versions']} versions",
            f"  {made['users']} users, {made['associations']} case associations of the external "
            f"user, {made['shared']} documents shared with them, {made['locks']} checked out, "
            f"{made['dossiers']} dossier built{pages}",
        ]
    if summary.clashes:
        lines.append(
            f"  {summary.clashes} offenders skipped: their NOMS numbers belong to other people"
        )
    lines += [f"  {note}" for note in summary.notes]
    if made["transitions"]:
        lines.append(
            f"  {made['transitions']} workflow transitions taken to bring cases up to date"
        )
    due = summary.deadlines
    lines.append(
        f"  workflow deadlines on file: {due['due']} due, {due['overdue']} overdue, "
        f"{due['met']} met"
    )

    lines.append("users, none with a password yet:")
    for member in MEMBERS:
        who = f"external, {member.organisation}" if member.external else member.level
        lines.append(f"  {member.username:16} {who:22} team {member.team}")
    lines += [
        "  set one with `ppud users set-password NAME --password-stdin`; each user then enrols",
        "  an authenticator app at their first sign-in; until an administrator has one,",
        "  `ppud serve` prints a set-up link for your own administrator",
    ]
    if made["versions"]:
        lines.append(
            "search: the worker extracts and indexes the new versions while `ppud serve` runs"
        )
    return lines
