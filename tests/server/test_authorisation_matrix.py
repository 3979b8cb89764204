"""Who may do what to which record, for every route, checked against rules written apart.

The matrix is generated from the app's route table: every API route is
called by every kind of actor, on a case of the caseworkers' team with
three documents (shared with external users, not shared, and
OFFICIAL-SENSITIVE limited to the team). The expected answer comes from
RULES and the predicates below, a plain statement of the product's rules,
not from records/policy.py. A route missing from RULES fails the test, so a
new route cannot escape the matrix.

An allowed call may still be refused for its (deliberately empty) body:
"allowed" means any answer but 401, 403 or 404.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from bson import ObjectId
from starlette.applications import Starlette

from records import access, case_contacts, contacts, credentials, jobs
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import Clock, File, MakeUser, User
from tests.retention.conftest import retention_records
from tests.server.test_policy_coverage import NO_RECORD, api_routes

# What each actor is, in the rules' terms.
ACTORS = {
    "viewer": {"level": "viewer", "team": "ppcs"},
    "caseworker": {"level": "caseworker", "team": "ppcs"},
    "manager": {"level": "manager", "team": "ppcs"},
    "admin": {"level": "admin", "team": "hq"},
    "other team": {"level": "manager", "team": "north"},
    "shared team": {"level": "manager", "team": "east"},
    "external": {"level": "viewer", "team": "board", "external": True},
    "external, not associated": {"level": "viewer", "team": "board", "external": True},
    "external, lapsed": {"level": "viewer", "team": "board", "external": True},
    # A manager of the caseworkers' team who also holds the records manager's right.
    "records manager": {"level": "manager", "team": "ppcs", "records_manager": True},
}
INTERNAL = ("viewer", "caseworker", "manager", "admin", "other team", "shared team")
DOCUMENTS = ("shared", "not shared", "limited to the team")


def sees_case(actor: str) -> bool:
    return actor in (
        "viewer",
        "caseworker",
        "manager",
        "admin",
        "shared team",
        "external",
        "records manager",
    )


def sees_document(actor: str, document: str) -> bool:
    if not sees_case(actor):
        return False
    if document == "limited to the team":
        # OFFICIAL-SENSITIVE, shared, limited to team ppcs: administrators are not in it.
        return actor in ("viewer", "caseworker", "manager", "records manager")
    return not actor.startswith("external") or document == "shared"


def writes_case(actor: str) -> bool:
    return actor in ("caseworker", "manager", "admin")


def is_manager(actor: str) -> bool:
    """Internal and at manager level or above, of whichever team."""
    return actor in ("manager", "admin", "other team", "shared team")


# Each route's rule. A route's answer for an actor follows from its rule alone.
RULES: dict[tuple[str, str], str] = {
    ("GET", "/me"): "signed in",
    ("GET", "/tokens"): "signed in",
    ("DELETE", "/tokens/{token_id}"): "own token",
    ("GET", "/offenders"): "internal",
    ("POST", "/offenders"): "internal writer",
    ("GET", "/offenders/{offender_id}"): "internal record",
    ("PATCH", "/offenders/{offender_id}"): "offender writer",
    ("GET", "/cases"): "signed in",
    ("POST", "/cases"): "internal writer",
    ("GET", "/cases/{case_id}"): "case read",
    ("POST", "/cases/{case_id}/folders"): "case write",
    ("GET", "/cases/{case_id}/documents"): "case read",
    ("POST", "/cases/{case_id}/documents"): "case write",
    ("POST", "/cases/{case_id}/associations"): "case write",
    ("GET", "/cases/{case_id}/associations"): "case read, internal",
    ("DELETE", "/cases/{case_id}/associations/{user_id}"): "case write",
    ("POST", "/cases/{case_id}/shares"): "case write",
    ("GET", "/cases/{case_id}/shares"): "case read, internal",
    ("DELETE", "/cases/{case_id}/shares/{team}"): "case write",
    ("POST", "/cases/{case_id}/dossiers"): "case write",
    ("GET", "/cases/{case_id}/dossier-selection"): "case write",
    ("GET", "/documents/{document_id}"): "document read",
    ("PATCH", "/documents/{document_id}"): "document write",
    ("PUT", "/documents/{document_id}/sharing"): "document write",
    ("PUT", "/documents/{document_id}/restriction"): "document write",
    ("GET", "/documents/{document_id}/manifest"): "document read",
    ("POST", "/documents/{document_id}/versions"): "document write",
    ("GET", "/documents/{document_id}/content"): "document read",
    ("GET", "/documents/{document_id}/versions/{number}/content"): "document read",
    ("POST", "/documents/{document_id}/lock"): "document write",
    ("DELETE", "/documents/{document_id}/lock"): "document write",
    ("GET", "/jobs/{job_id}"): "job",
    ("GET", "/search"): "signed in",
    ("GET", "/audit"): "internal",
    ("GET", "/audit.csv"): "manager",
    ("GET", "/dossier-templates"): "internal",
    ("GET", "/dossier-templates/{name}"): "internal",
    ("PUT", "/dossier-templates/{name}"): "admin",
    ("DELETE", "/dossier-templates/{name}"): "admin",
    ("GET", "/dossier-requirements"): "internal",
    ("PUT", "/dossier-requirements/{case_type}"): "admin",
    ("GET", "/users"): "manager",
    ("POST", "/users"): "manager",
    ("GET", "/users/{user_id}"): "managed user",
    ("PATCH", "/users/{user_id}"): "managed user",
    ("POST", "/users/{user_id}/unlock"): "managed user",
    ("GET", "/teams"): "manager",
    ("POST", "/teams"): "admin",
    ("POST", "/cases/{case_id}/transitions"): "case write",
    ("GET", "/workflows"): "internal",
    ("POST", "/workflows/{case_type}"): "admin",
    ("GET", "/workflows/{case_type}/versions/{version}.yaml"): "internal",
    ("POST", "/workflows/{case_type}/migrations"): "admin",
    ("GET", "/bank-holidays"): "internal",
    ("PUT", "/bank-holidays/{year}"): "admin",
    ("GET", "/tasks"): "signed in",
    ("GET", "/tasks.csv"): "signed in",
    ("POST", "/cases/{case_id}/tasks"): "case write",
    ("PATCH", "/tasks/{task_id}"): "case write",
    ("POST", "/imports/{kind}"): "internal writer",
    ("GET", "/reports"): "internal",
    ("GET", "/reports/{report}.csv"): "internal",
    ("GET", "/lists"): "internal",
    ("GET", "/lists/{list_name}"): "internal",
    ("GET", "/lists/{list_name}.csv"): "internal",
    ("POST", "/lists/{list_name}.csv"): "admin",
    ("PUT", "/lists/{list_name}/values/{code}"): "admin",
    ("DELETE", "/lists/{list_name}/values/{code}"): "admin",
    ("GET", "/help/{key}"): "signed in",
    ("PUT", "/help/{key}"): "admin",
    ("GET", "/cases/{case_id}/notes"): "case file read",
    ("POST", "/cases/{case_id}/notes"): "case file write",
    ("GET", "/cases/{case_id}/contacts"): "case file read",
    ("POST", "/cases/{case_id}/contacts"): "case file write",
    ("DELETE", "/cases/{case_id}/contacts/{link_id}"): "case file write",
    ("GET", "/cases/{case_id}/correspondence"): "case file read",
    ("GET", "/cases/{case_id}/correspondence.csv"): "case file read",
    ("POST", "/cases/{case_id}/correspondence"): "case file write",
    ("GET", "/contacts"): "internal",
    ("POST", "/contacts"): "internal writer",
    ("GET", "/contacts/{contact_id}"): "internal record",
    ("PATCH", "/contacts/{contact_id}"): "internal writer",
    ("GET", "/retention/rules"): "retention rules read",
    ("POST", "/retention/rules"): "admin",
    ("GET", "/retention/rules.csv"): "retention rules read",
    ("POST", "/retention/rules.csv"): "admin",
    ("GET", "/retention/rules/{rule_id}"): "retention rules read",
    ("PUT", "/retention/rules/{rule_id}"): "admin",
    ("DELETE", "/retention/rules/{rule_id}"): "admin",
    ("GET", "/retention/queue"): "records manager",
    ("GET", "/retention/records/{document_id}"): "records manager document",
    ("POST", "/retention/decisions"): "records manager",
    ("GET", "/retention/proposals"): "records manager",
    ("GET", "/retention/proposals/{proposal_id}"): "records manager",
    ("POST", "/retention/proposals/{proposal_id}/approval"): "records manager",
    ("POST", "/retention/proposals/{proposal_id}/rejection"): "records manager",
    ("GET", "/retention/holds"): "records manager",
    ("POST", "/retention/holds"): "records manager",
    ("GET", "/retention/holds/{hold_id}"): "records manager",
    ("POST", "/retention/holds/{hold_id}/lift"): "records manager",
    ("GET", "/retention/runs"): "records manager",
    ("GET", "/retention/runs/{run_id}"): "records manager",
    ("GET", "/retention/runs/{run_id}/certificate.pdf"): "records manager",
    ("GET", "/retention/runs/{run_id}/certificate.csv"): "records manager",
}

ALLOWED, FORBIDDEN, HIDDEN = "allowed", "403", "404"


def expected(rule: str, actor: str, document: str) -> str:
    """The product's rules: invisible is 404; visible but not allowed is 403."""
    if rule == "retention rules read":
        return ALLOWED if actor in ("admin", "records manager") else FORBIDDEN
    if rule == "records manager":
        return ALLOWED if actor == "records manager" else FORBIDDEN
    if rule == "records manager document":
        if not sees_document(actor, document):
            return HIDDEN
        return ALLOWED if actor == "records manager" else FORBIDDEN
    if actor == "records manager":
        actor = "manager"  # elsewhere the right changes nothing: they are a manager
    internal = actor in INTERNAL
    if rule == "signed in":
        return ALLOWED
    if rule == "own token":
        # The token is the caseworker fixture's: administrators revoke anyone's.
        return ALLOWED if actor == "admin" else HIDDEN
    if rule in ("internal", "internal record"):
        return ALLOWED if internal else FORBIDDEN
    if rule == "internal writer":
        return ALLOWED if internal and actor != "viewer" else FORBIDDEN
    if rule == "offender writer":
        # Only a team with a case for the offender (or an administrator) may change them.
        if not internal or actor == "viewer":
            return FORBIDDEN
        return ALLOWED if writes_case(actor) else FORBIDDEN
    if rule.startswith("case file"):
        # Notes, contacts and correspondence are the team's: external users never learn of them.
        if not sees_case(actor) or not internal:
            return HIDDEN
        if rule == "case file read":
            return ALLOWED
        return ALLOWED if writes_case(actor) else FORBIDDEN
    if rule.startswith("case"):
        if not sees_case(actor):
            return HIDDEN
        if rule == "case read":
            return ALLOWED
        if rule == "case read, internal":
            return ALLOWED if internal else FORBIDDEN
        return ALLOWED if writes_case(actor) else FORBIDDEN
    if rule.startswith("document"):
        if not sees_document(actor, document):
            return HIDDEN
        if rule == "document read":
            return ALLOWED
        return ALLOWED if writes_case(actor) else FORBIDDEN
    if rule == "admin":
        return ALLOWED if actor == "admin" else FORBIDDEN
    if rule == "manager":
        return ALLOWED if is_manager(actor) else FORBIDDEN
    if rule == "managed user":
        # The user is a caseworker of team ppcs: other teams' managers do not
        # manage them, so to them the user is absent.
        if not is_manager(actor):
            return FORBIDDEN
        return ALLOWED if actor in ("manager", "admin") else HIDDEN
    if rule == "job":
        # A job is the team's work in progress: external users see its result only.
        return ALLOWED if sees_case(actor) and internal else HIDDEN
    raise AssertionError(f"no rule named {rule!r}")


def answered(status: int) -> str:
    if status == 404:
        return HIDDEN
    if status == 403:
        return FORBIDDEN
    assert status != 401, "the actor was not signed in"
    return ALLOWED


def ordered(routes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Deletions last: they could change what later calls see."""
    return sorted(routes, key=lambda r: (r[0] == "DELETE", r[1].endswith("/lock")))


def test_every_api_route_has_a_rule(app: Starlette) -> None:
    unruled = [r for r in api_routes(app) if r not in RULES and r not in NO_RECORD]
    assert unruled == [], "routes the authorisation matrix has no rule for"
    assert set(RULES) <= set(api_routes(app)), "rules for routes that no longer exist"


@pytest.mark.parametrize("actor", list(ACTORS))
async def test_authorisation_matrix(
    app: Starlette,
    store: Store,
    clock: Clock,
    actor: str,
    caseworker: User,
    make_user: MakeUser,
    case: dict[str, Any],
    file_document: File,
) -> None:
    await make_user("caseworker", team="east")
    who = await make_user(**ACTORS[actor], organisation="Board" if "external" in actor else None)
    panel = await make_user("viewer", team="board", external=True, organisation="Board")
    target = await make_user("caseworker")
    stored = await store.db["cases"].find_one({"_id": ObjectId(case["id"])})
    assert stored is not None
    await access.share(store, caseworker.actor, stored, {"team": "east", "purpose": "Joint work"})
    await access.associate(store, SYSTEM, stored, {"user_id": panel.id, "until": None})
    if actor in ("external", "external, lapsed"):
        until = clock.at.date().isoformat() if actor.endswith("lapsed") else None
        await access.associate(store, SYSTEM, stored, {"user_id": who.id, "until": until})

    documents = {}
    for name in DOCUMENTS:
        marking = "OFFICIAL-SENSITIVE" if name.startswith("limited") else "OFFICIAL"
        filed = await file_document("office/testPDF.pdf", title=name, protective_marking=marking)
        await caseworker.client.put(
            f"/documents/{filed['id']}/sharing",
            json={"shared_with_external": name != "not shared"},
        )
        if name.startswith("limited"):
            limited = await caseworker.client.put(
                f"/documents/{filed['id']}/restriction", json={"teams": ["ppcs"]}
            )
            assert limited.status_code == 200, limited.text
        documents[name] = filed["id"]
    # Manifests are a dossier's: the documents carry one so that route has something to read.
    await store.db["documents"].update_many({}, {"$set": {"manifest": {"pages": 1}}})
    job = await jobs.create_job(store, caseworker.actor, "dossier", stored, {})
    spare = await credentials.create_token(store, SYSTEM, caseworker.username, label="spare")
    task = await store.db["tasks"].find_one({"case_id": stored["_id"]})
    assert task is not None, "a recall starts with its assessment task"
    contact = await contacts.create_contact(
        store, caseworker.actor, {"kind": "solicitor", "name": "A. Solicitor"}
    )
    link = await case_contacts.link(
        store, caseworker.actor, stored, {"contact_id": str(contact["_id"]), "role": "solicitor"}
    )
    clock.advance(days=2)  # the lapsed association has run out; the others have no end

    values = {
        "case_id": case["id"],
        "offender_id": case["offender_id"],
        "job_id": str(job["_id"]),
        "name": "recall",
        "case_type": "recall",
        "team": "east",
        "token_id": spare.id,
        "number": "1",
        "version": "1",
        "year": "2027",
        "task_id": str(task["_id"]),
        "kind": "offenders",
        "report": "open-cases",
        # recall is in use (the case is one), so an administrator's delete is refused: 409.
        "list_name": "case_types",
        "code": "recall",
        "key": "home",
        "contact_id": str(contact["_id"]),
        "link_id": str(link["_id"]),
        **await retention_records(store, case["id"], documents["shared"]),
    }
    wrong = []
    for method, template in ordered(list(RULES)):
        rule = RULES[(method, template)]
        for document in DOCUMENTS if "{document_id}" in template else ("shared",):
            ids = {
                **values,
                "document_id": documents[document],
                # Associations are ended for the panel member; users managed are the target.
                "user_id": panel.id if "associations" in template else target.id,
            }
            path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m, ids=ids: ids[m.group(1)], template)
            answer = await who.client.request(method, path, json={"users": "not a list"})
            got, want = answered(answer.status_code), expected(rule, actor, document)
            if got != want:
                wrong.append(
                    f"{method} {template} ({document}): {answer.status_code}, expected {want}"
                )
            if answer.status_code == 200 and template.endswith("/lock") and method == "POST":
                await who.client.delete(path)

    assert wrong == []
