from __future__ import annotations

from typing import Any

import pytest

from records.actors import LEVELS, Actor
from records.errors import Forbidden, NotFound
from records.policy import Action, allows, can_see_case, case_filter, require

# Written out by hand from api.md rather than read from policy.py, so a change
# to the rules has to change this table too.
ALLOWED: dict[str, set[Action]] = {
    "viewer": {
        Action.OFFENDER_READ,
        Action.CASE_READ,
        Action.CASE_FILE_READ,
        Action.CONTACT_READ,
        Action.DOCUMENT_READ,
        Action.TOKENS_OWN,
        Action.SEARCH,
        Action.REPORTS_READ,
        Action.LISTS_READ,
        Action.HELP_READ,
    },
    "caseworker": {
        Action.OFFENDER_READ,
        Action.OFFENDER_WRITE,
        Action.CASE_CREATE,
        Action.CASE_READ,
        Action.CASE_WRITE,
        Action.CASE_FILE_READ,
        Action.CONTACT_READ,
        Action.CONTACT_WRITE,
        Action.DOCUMENT_READ,
        Action.DOCUMENT_WRITE,
        Action.DOCUMENT_SHARE,
        Action.TOKENS_OWN,
        Action.SEARCH,
        Action.REPORTS_READ,
        Action.LISTS_READ,
        Action.HELP_READ,
    },
    "manager": {
        Action.OFFENDER_READ,
        Action.OFFENDER_WRITE,
        Action.CASE_CREATE,
        Action.CASE_READ,
        Action.CASE_WRITE,
        Action.CASE_FILE_READ,
        Action.CONTACT_READ,
        Action.CONTACT_WRITE,
        Action.DOCUMENT_READ,
        Action.DOCUMENT_WRITE,
        Action.DOCUMENT_SHARE,
        Action.LOCK_FORCE_RELEASE,
        Action.AUDIT_READ_ALL,
        Action.USERS_MANAGE,
        Action.TOKENS_OWN,
        Action.SEARCH,
        Action.REPORTS_READ,
        Action.LISTS_READ,
        Action.HELP_READ,
    },
    # Disposal review is the records manager's right, whatever the level (below).
    "admin": set(Action) - {Action.RETENTION_REVIEW},
}
READS = {
    Action.OFFENDER_READ,
    Action.CASE_READ,
    Action.CASE_FILE_READ,
    Action.CONTACT_READ,
    Action.DOCUMENT_READ,
    Action.SEARCH,
}
# The online help describes the pages external users see too.
EXTERNAL = {
    Action.CASE_READ,
    Action.DOCUMENT_READ,
    Action.TOKENS_OWN,
    Action.SEARCH,
    Action.HELP_READ,
}
MATRIX = [(level, action) for level in LEVELS for action in Action]
OWN_CASE: dict[str, Any] = {"_id": "case-1", "team": "ppcs"}
OTHER_CASE: dict[str, Any] = {"_id": "case-2", "team": "north"}


def actor(level: str, *, team: str = "ppcs", external: bool = False) -> Actor:
    return Actor(f"id-{level}", f"user-{level}", level, team, external)  # type: ignore[arg-type]


def test_policy_table_covers_every_level() -> None:
    assert set(ALLOWED) == set(LEVELS)


@pytest.mark.parametrize(("level", "action"), MATRIX)
def test_policy_allows_each_level_exactly_its_actions(level: str, action: Action) -> None:
    expected = action in ALLOWED[level]

    without_case = allows(actor(level), action)
    on_own_teams_case = allows(actor(level), action, OWN_CASE)

    assert without_case is expected
    assert on_own_teams_case is expected


@pytest.mark.parametrize(("level", "action"), MATRIX)
def test_policy_require_raises_what_the_matrix_says(level: str, action: Action) -> None:
    if action in ALLOWED[level]:
        require(actor(level), action, OWN_CASE)
        return

    # A refused read must look like absence; a refused write is plainly forbidden.
    refusal = NotFound if action in READS else Forbidden
    with pytest.raises(refusal):
        require(actor(level), action, OWN_CASE)


@pytest.mark.parametrize(("level", "action"), MATRIX)
def test_policy_another_teams_case_is_absent_to_all_but_admins(level: str, action: Action) -> None:
    someone = actor(level)

    allowed = allows(someone, action, OTHER_CASE)

    if level == "admin" and action in ALLOWED["admin"]:
        assert allowed is True
        require(someone, action, OTHER_CASE)
    elif level == "admin":
        assert allowed is False
    else:
        assert allowed is False
        with pytest.raises(NotFound):
            require(someone, action, OTHER_CASE)


@pytest.mark.parametrize("action", sorted(set(Action) - EXTERNAL, key=lambda a: a.value))
def test_policy_refusal_names_the_action_in_words(action: Action) -> None:
    with pytest.raises(Forbidden) as refused:
        require(actor("viewer", external=True), action)

    # Words a caseworker reads, not the internal name such as "offender.read".
    assert str(refused.value).startswith("external users may not ")
    assert action.value not in str(refused.value)


def test_policy_refusal_names_the_record_kind_not_the_rule() -> None:
    with pytest.raises(NotFound) as hidden:
        require(actor("caseworker"), Action.CASE_WRITE, OTHER_CASE, what="case")

    assert str(hidden.value) == "no case with that id"
    assert "north" not in str(hidden.value)


def test_policy_forbidden_names_the_level_and_action() -> None:
    with pytest.raises(Forbidden) as refused:
        require(actor("viewer"), Action.OFFENDER_WRITE)

    assert "viewer" in str(refused.value)
    assert "create or change offenders" in str(refused.value)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("action", list(Action))
def test_policy_external_user_may_only_read_and_manage_tokens(level: str, action: Action) -> None:
    external = actor(level, external=True)

    without_case = allows(external, action)
    on_a_case = allows(external, action, OWN_CASE)

    assert without_case is (action in EXTERNAL)
    # No case is associated to them yet, so even a team's own case is hidden.
    assert on_a_case is False


@pytest.mark.parametrize("level", LEVELS)
def test_policy_external_user_finds_every_case_absent(level: str) -> None:
    external = actor(level, external=True)

    for action in Action:
        with pytest.raises(NotFound):
            require(external, action, OWN_CASE)
    assert can_see_case(external, OWN_CASE) is False


def test_policy_external_user_is_refused_offenders_and_writes_without_a_case() -> None:
    external = actor("admin", external=True)

    with pytest.raises(Forbidden):
        require(external, Action.OFFENDER_WRITE)
    # Offenders are outside an external user's view: a search is refused, not empty.
    with pytest.raises(Forbidden, match="external users"):
        require(external, Action.OFFENDER_READ)


def test_policy_refused_read_without_a_record_is_forbidden_not_absent() -> None:
    with pytest.raises(Forbidden):
        require(actor("viewer", external=True), Action.OFFENDER_READ, what="offender")


@pytest.mark.parametrize(
    ("level", "team", "expected"),
    [
        ("viewer", "ppcs", True),
        ("viewer", "north", False),
        ("caseworker", "north", False),
        ("manager", "ppcs", True),
        ("manager", "north", False),
        ("admin", "north", True),
    ],
)
def test_policy_can_see_case_by_team(level: str, team: str, expected: bool) -> None:
    case = {"_id": "c", "team": team}

    assert can_see_case(actor(level), case) is expected


@pytest.mark.parametrize("level", ["viewer", "caseworker", "manager"])
def test_policy_case_filter_limits_a_team_member_to_their_team(level: str) -> None:
    assert case_filter(actor(level, team="north")) == {"team": "north"}


def test_policy_case_filter_shows_an_admin_every_case() -> None:
    assert case_filter(actor("admin")) == {}


def test_policy_case_filter_shows_an_external_user_nothing() -> None:
    assert case_filter(actor("caseworker", external=True)) == {"_id": {"$in": []}}


def test_policy_case_without_a_team_is_hidden_from_team_members() -> None:
    orphan: dict[str, Any] = {"_id": "c"}

    assert can_see_case(actor("manager"), orphan) is False
    assert can_see_case(actor("admin"), orphan) is True


def test_policy_actor_with_an_unknown_level_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        allows(actor("superuser"), Action.OFFENDER_READ)


@pytest.mark.parametrize("level", LEVELS)
def test_policy_records_manager_right_is_apart_from_the_level(level: str) -> None:
    holder = Actor(f"id-{level}", f"rm-{level}", level, "ppcs", records_manager=True)  # type: ignore[arg-type]

    assert allows(holder, Action.RETENTION_REVIEW, OWN_CASE) is True
    assert allows(holder, Action.RETENTION_RULES_READ) is True
    assert allows(holder, Action.RETENTION_RULES_MANAGE) is (level == "admin")
    assert allows(holder, Action.RETENTION_REVIEW, OTHER_CASE) is (level == "admin")
    with pytest.raises(Forbidden, match="only records managers"):
        require(actor(level), Action.RETENTION_REVIEW)
