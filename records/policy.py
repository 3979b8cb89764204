"""The one place that decides what an actor may do to a record.

Routes never test levels or teams themselves: they name an action and ask.
Reading is decided first, so a record the actor may not see is reported as
absent (404) rather than forbidden, as api.md requires.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bson import ObjectId

from records.actors import LEVELS, Actor, level_rank
from records.errors import Forbidden, NotFound


class Action(Enum):
    OFFENDER_READ = "offender.read"
    OFFENDER_WRITE = "offender.write"
    CASE_CREATE = "case.create"
    CASE_READ = "case.read"
    CASE_WRITE = "case.write"
    # A case's notes, linked contacts and correspondence: the team's working file.
    CASE_FILE_READ = "case_file.read"
    CONTACT_READ = "contact.read"
    CONTACT_WRITE = "contact.write"
    DOCUMENT_READ = "document.read"
    DOCUMENT_WRITE = "document.write"
    DOCUMENT_SHARE = "document.share"
    LOCK_FORCE_RELEASE = "lock.force_release"
    AUDIT_READ_ALL = "audit.read_all"
    TOKENS_OWN = "tokens.own"
    SEARCH = "search"
    DOSSIER_SETUP = "dossier.setup"
    USERS_MANAGE = "users.manage"
    TEAMS_MANAGE = "teams.manage"
    WORKFLOWS_MANAGE = "workflows.manage"
    REPORTS_READ = "reports.read"
    SERVICE_SETUP = "service.setup"
    LISTS_READ = "lists.read"
    LISTS_MANAGE = "lists.manage"
    HELP_READ = "help.read"
    HELP_EDIT = "help.edit"
    RETENTION_RULES_READ = "retention.rules.read"
    RETENTION_RULES_MANAGE = "retention.rules.manage"
    RETENTION_REVIEW = "retention.review"


_MINIMUM_LEVEL = {
    Action.OFFENDER_READ: "viewer",
    Action.OFFENDER_WRITE: "caseworker",
    Action.CASE_CREATE: "caseworker",
    Action.CASE_READ: "viewer",
    Action.CASE_WRITE: "caseworker",
    Action.CASE_FILE_READ: "viewer",
    Action.CONTACT_READ: "viewer",
    Action.CONTACT_WRITE: "caseworker",
    Action.DOCUMENT_READ: "viewer",
    Action.DOCUMENT_WRITE: "caseworker",
    Action.DOCUMENT_SHARE: "caseworker",
    Action.LOCK_FORCE_RELEASE: "manager",
    Action.AUDIT_READ_ALL: "manager",
    Action.TOKENS_OWN: "viewer",
    Action.SEARCH: "viewer",
    Action.DOSSIER_SETUP: "admin",
    Action.USERS_MANAGE: "manager",
    Action.TEAMS_MANAGE: "admin",
    Action.WORKFLOWS_MANAGE: "admin",
    Action.REPORTS_READ: "viewer",
    Action.SERVICE_SETUP: "admin",
    Action.LISTS_READ: "viewer",
    Action.LISTS_MANAGE: "admin",
    Action.HELP_READ: "viewer",
    Action.HELP_EDIT: "admin",
    Action.RETENTION_RULES_READ: "admin",
    Action.RETENTION_RULES_MANAGE: "admin",
    Action.RETENTION_REVIEW: "admin",
}

# How a refusal names the action to the person refused.
_DOING = {
    Action.OFFENDER_READ: "look up offenders",
    Action.OFFENDER_WRITE: "create or change offenders",
    Action.CASE_CREATE: "create cases",
    Action.CASE_READ: "read cases",
    Action.CASE_WRITE: "change cases",
    Action.CASE_FILE_READ: "read case notes, contacts or correspondence",
    Action.CONTACT_READ: "read the contacts directory",
    Action.CONTACT_WRITE: "add or change contacts",
    Action.DOCUMENT_READ: "read documents",
    Action.DOCUMENT_WRITE: "file or change documents",
    Action.DOCUMENT_SHARE: "share documents with external users",
    Action.LOCK_FORCE_RELEASE: "force open another user's check-out",
    Action.AUDIT_READ_ALL: "read other users' audit events",
    Action.TOKENS_OWN: "manage their tokens",
    Action.SEARCH: "search documents",
    Action.DOSSIER_SETUP: "change dossier templates or the documents a dossier needs",
    Action.USERS_MANAGE: "manage users",
    Action.TEAMS_MANAGE: "create teams",
    Action.WORKFLOWS_MANAGE: "change workflows or bank holidays",
    Action.REPORTS_READ: "read casework reports",
    Action.SERVICE_SETUP: "set up the service: its users, teams and lists",
    Action.LISTS_READ: "read the lists of values",
    Action.LISTS_MANAGE: "change the lists of values",
    Action.HELP_READ: "read the online help",
    Action.HELP_EDIT: "change the online help",
    Action.RETENTION_RULES_READ: "read retention schedules",
    Action.RETENTION_RULES_MANAGE: "change retention schedules",
    Action.RETENTION_REVIEW: "review records for disposal or apply legal holds",
}

# Records managers (product.md) hold a right of their own, apart from their
# level: they review disposal, hold and release records and approve
# destruction, within the cases they can see. Administrators define the
# schedules; records managers read them.
_RECORDS_MANAGER = {Action.RETENTION_REVIEW, Action.RETENTION_RULES_READ}

_READS = {
    Action.OFFENDER_READ,
    Action.CASE_READ,
    Action.CASE_FILE_READ,
    Action.CONTACT_READ,
    Action.DOCUMENT_READ,
    Action.SEARCH,
}
# External users read the cases associated to them and nothing else; with no
# association (issue 7) every case stays hidden, so their lists come back empty.
# The online help describes the pages, which they use too. A case's notes,
# contacts and correspondence are never theirs: being a read refused on a
# case, they are reported absent, not forbidden.
_EXTERNAL = {
    Action.CASE_READ,
    Action.DOCUMENT_READ,
    Action.TOKENS_OWN,
    Action.SEARCH,
    Action.HELP_READ,
}


# Every decision is noted where someone is watching (tests walking the route
# table check that each route asked); nobody watches in service.
_watching: ContextVar[list[str] | None] = ContextVar("policy_decisions", default=None)


@contextmanager
def watching() -> Iterator[list[str]]:
    """The decisions taken inside the block, in order (for tests of coverage)."""
    decisions: list[str] = []
    token = _watching.set(decisions)
    try:
        yield decisions
    finally:
        _watching.reset(token)


def _note(decision: str) -> None:
    decisions = _watching.get()
    if decisions is not None:
        decisions.append(decision)


def can_see_case(actor: Actor, case: dict[str, Any]) -> bool:
    """A case is visible to administrators and to members of its owning team.

    External users see only the cases associated to them (records.access).
    """
    _note("case")
    if actor.external:
        return str(case.get("_id")) in actor.cases
    return actor.level == "admin" or case.get("team") == actor.team or _shared_with(actor, case)


def _shared_with(actor: Actor, case: dict[str, Any]) -> bool:
    """The case belongs to another team, which has shared it with the actor's (read only)."""
    return (
        not actor.external
        and actor.level != "admin"
        and case.get("team") != actor.team
        and str(case.get("_id")) in actor.cases
    )


def can_see_document(actor: Actor, document: dict[str, Any]) -> bool:
    """Within a visible case, an external user sees only what is shared with them.

    A document limited to named users or teams (OFFICIAL-SENSITIVE material
    on a need-to-know basis) is seen only by them, administrators included:
    the limit is narrower than the case's access by design.
    """
    _note("document")
    if actor.external and not document.get("shared_with_external"):
        return False
    return within_restriction(actor, document.get("restricted_to"))


def within_restriction(actor: Actor, limit: dict[str, Any] | None) -> bool:
    if not limit:
        return True
    named = actor.username in (limit.get("users") or ())
    return named or (not actor.external and actor.team in (limit.get("teams") or ()))


def document_filter(actor: Actor) -> dict[str, Any]:
    """The query clause limiting a listing of a visible case's documents to what the actor sees."""
    admitted: list[dict[str, Any]] = [
        {"restricted_to": None},
        {"restricted_to.users": actor.username},
    ]
    if actor.external:
        return {"$or": admitted, "shared_with_external": True}
    return {"$or": [*admitted, {"restricted_to.teams": actor.team}]}


def reader_keys(actor: Actor) -> tuple[str, ...]:
    """The search index's reader keys that admit the actor (search.index "readers")."""
    keys = [OPEN_TO_CASE, f"user:{actor.username}"]
    if not actor.external:
        keys.append(f"team:{actor.team}")
    return tuple(keys)


def document_readers(document: dict[str, Any]) -> tuple[str, ...]:
    """The reader keys a document is indexed with: anyone who sees its case, or those named."""
    limit = document.get("restricted_to")
    if not limit:
        return (OPEN_TO_CASE,)
    users = [f"user:{name}" for name in limit.get("users") or ()]
    teams = [f"team:{name}" for name in limit.get("teams") or ()]
    return tuple(users + teams)


OPEN_TO_CASE = "*"


def allows(actor: Actor, action: Action, case: dict[str, Any] | None = None) -> bool:
    _note(action.value)
    if case is not None and not can_see_case(actor, case):
        return False
    if actor.external:
        return action in _EXTERNAL
    if case is not None and _shared_with(actor, case) and action not in _READS:
        return False
    if actor.records_manager and action in _RECORDS_MANAGER:
        return True
    if action is Action.RETENTION_REVIEW:
        return False  # administrators define schedules; only records managers dispose
    return actor.at_least(_MINIMUM_LEVEL[action])  # type: ignore[arg-type]


def require(
    actor: Actor,
    action: Action,
    case: dict[str, Any] | None = None,
    *,
    what: str = "record",
    ident: object = None,
) -> None:
    """Raise NotFound for an invisible record, Forbidden for a refused action.

    A read refused on a case is reported as absence; with ident given, the
    NotFound reads exactly as it would for an absent record, so a caller
    cannot tell the two apart. A read refused with no record in view (a list,
    a search) is plainly Forbidden: there is nothing to hide.
    """
    hidden = (
        NotFound.absent(what, ident) if ident is not None else NotFound(f"no {what} with that id")
    )
    if case is not None and not can_see_case(actor, case):
        raise hidden
    if not allows(actor, action, case):
        if action in _READS and case is not None:
            raise hidden
        if case is not None and _shared_with(actor, case):
            raise Forbidden(
                f"this case is team {case.get('team')}'s, shared with yours to read; "
                f"you may not {_DOING[action]} in it"
            )
        if action is Action.RETENTION_REVIEW and not actor.external:
            raise Forbidden(f"only records managers may {_DOING[action]}")
        who = "external" if actor.external else actor.level
        raise Forbidden(f"{who} users may not {_DOING[action]}")


def may_take_transition(actor: Actor, case: dict[str, Any], level: str) -> bool:
    """A workflow transition: a writer in the case, at the level the transition asks."""
    return allows(actor, Action.CASE_WRITE, case) and level_rank(actor.level) >= level_rank(level)


def may_create_first_admin(*, admin_can_sign_in: bool) -> bool:
    """Whether a live set-up link may create an administrator: only while none can sign in.

    Nobody can manage users on an install without an administrator who can
    sign in (a fresh one, or one holding only demo users without passwords),
    so the link printed by `ppud serve` stands in for one; once one can sign
    in, administrators create the others, and every link is dead.
    """
    _note("setup")
    return not admin_can_sign_in


def can_manage_user(actor: Actor, user: dict[str, Any]) -> bool:
    """Administrators manage everyone; a manager, the internal users of their own team.

    Nobody manages a user above their own level: that would let them act with
    rights they do not hold (resetting such a user, or disabling them).
    """
    _note("user")
    if actor.external or not actor.at_least("manager"):
        return False
    if actor.level == "admin":
        return True
    same_team = user.get("team") == actor.team and not user.get("external")
    return same_team and level_rank(user["level"]) <= level_rank(actor.level)


def may_grant(actor: Actor, *, level: str, team: str, external: bool) -> str | None:
    """Why the actor may not give a user this level, team or kind; None when they may."""
    _note("grant")
    if level_rank(level) > level_rank(actor.level):
        return f"you cannot give a level above your own ({actor.level})"
    if actor.level == "admin":
        return None
    if external:
        return "only administrators create or change external users"
    if team != actor.team:
        return f"managers manage their own team's users ({actor.team}) only"
    return None


def user_filter(actor: Actor) -> dict[str, Any]:
    """The query clause limiting a listing of users to those the actor manages."""
    _note("users")
    if actor.level == "admin" and not actor.external:
        return {}
    if actor.external or not actor.at_least("manager"):
        return {"_id": None}
    levels = [lv for lv in LEVELS if level_rank(lv) <= level_rank(actor.level)]
    return {"team": actor.team, "external": {"$ne": True}, "level": {"$in": levels}}


@dataclass(frozen=True)
class Visibility:
    """Which cases' records an actor may see, for filters built outside MongoDB (search)."""

    # None: every team's cases.
    teams: tuple[str, ...] | None
    # None: any case of those teams; otherwise only these (external users).
    case_ids: tuple[str, ...] | None = None
    # Only documents shared with external users.
    shared_only: bool = False
    # Cases other teams have shared with the actor's, seen as well as the teams'.
    also_case_ids: tuple[str, ...] = ()
    # Documents indexed with one of these reader keys (see document_readers).
    readers: tuple[str, ...] = ()


def visibility(actor: Actor) -> Visibility:
    """The same rule as can_see_case and case_filter, as data."""
    _note("visibility")
    readers = reader_keys(actor)
    if actor.external:
        return Visibility(
            teams=None, case_ids=tuple(sorted(actor.cases)), shared_only=True, readers=readers
        )
    if actor.level == "admin":
        return Visibility(teams=None, readers=readers)
    return Visibility(
        teams=(actor.team,), also_case_ids=tuple(sorted(actor.cases)), readers=readers
    )


def case_filter(actor: Actor) -> dict[str, Any]:
    """The query clause limiting a case listing to what the actor may see."""
    seen = visibility(actor)
    clause: dict[str, Any] = {}
    if seen.teams is not None:
        clause["team"] = seen.teams[0] if len(seen.teams) == 1 else {"$in": list(seen.teams)}
    if seen.case_ids is not None:
        clause["_id"] = {"$in": _ids(seen.case_ids)}
    if seen.also_case_ids:
        clause = {"$or": [clause, {"_id": {"$in": _ids(seen.also_case_ids)}}]}
    return clause


def _ids(case_ids: tuple[str, ...]) -> list[ObjectId]:
    return [ObjectId(c) for c in case_ids if ObjectId.is_valid(c)]


def require_case_file(actor: Actor, case: dict[str, Any], *, write: bool = False) -> None:
    """A case's notes, contacts and correspondence: read by its internal readers, kept by writers.

    Reading is asked first, so an external user associated to the case finds
    them absent whatever they meant to do.
    """
    require(actor, Action.CASE_FILE_READ, case, what="case", ident=case.get("_id"))
    if write:
        require(actor, Action.CASE_WRITE, case, what="case", ident=case.get("_id"))
