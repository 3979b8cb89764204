"""Case workflows: the defaults walked to every end, deadlines, races, conditions, versions."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import yaml
from bson import ObjectId

from records import tasks, workflows
from records.store import Store
from records.working_days import Calendar, Period, add_months
from tests.conftest import Clock, MakeUser, User

DEFAULT_TYPES = ("recall", "parole_review", "mental_health")


@pytest.fixture
async def manager(make_user: MakeUser) -> User:
    return await make_user("manager")


async def new_case(user: User, offender_id: str, case_type: str) -> dict[str, Any]:
    made = await user.client.post(
        "/cases", json={"offender_id": offender_id, "case_type": case_type, "title": case_type}
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def take(user: User, case_id: str, transition: str, **body: Any) -> httpx.Response:
    return await user.client.post(
        f"/cases/{case_id}/transitions", json={"transition": transition, **body}
    )


async def satisfy_conditions(store: Store, case_id: str, case_type: str) -> None:
    """Every document type the dossier needs, and a dossier, filed as records (no bytes needed)."""
    needed = await store.db["lists"].find_one({"_id": "dossier_requirements"}) or {}
    types = [*(needed.get("by_case_type") or {}).get(case_type, []), "dossier"]
    await store.db["documents"].insert_many(
        [{"case_id": ObjectId(case_id), "doc_type": t, "title": t} for t in types]
    )


def paths_to_every_end(definition: workflows.Definition) -> dict[str, list[str]]:
    """For each terminal state, the shortest list of transitions from the initial state."""
    found: dict[str, list[str]] = {definition.initial: []}
    frontier = [definition.initial]
    while frontier:
        state = frontier.pop(0)
        for transition in definition.available(state):
            if transition.target not in found:
                found[transition.target] = [*found[state], transition.code]
                frontier.append(transition.target)
    return {s: p for s, p in found.items() if definition.is_terminal(s)}


@pytest.mark.parametrize("case_type", DEFAULT_TYPES)
async def test_default_workflow_walks_from_start_to_each_terminal_state(
    store: Store, manager: User, offender: dict[str, Any], case_type: str
) -> None:
    definition = await workflows.current(store, case_type)
    assert definition is not None
    ends = paths_to_every_end(definition)
    assert set(ends) == {s for s in definition.states if definition.is_terminal(s)}

    for end, path in ends.items():
        case = await new_case(manager, offender["id"], case_type)
        await satisfy_conditions(store, case["id"], case_type)
        for code in path:
            moved = await take(manager, case["id"], code, reason="As recorded", date="2026-12-01")
            assert moved.status_code == 200, f"{end} via {code}: {moved.text}"
        body = moved.json()
        assert body["state"] == end
        assert body["workflow"]["terminal"] is True
        assert body["workflow"]["transitions"] == []


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    calendar = Calendar({date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)})

    # Thursday 24 December: Friday is Christmas, then a weekend, then Boxing Day (observed).
    assert calendar.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    # Friday 18 December plus 5 working days: 21-24, then 29 December.
    assert calendar.add_working_days(date(2026, 12, 18), 5) == date(2026, 12, 29)
    assert calendar.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    due = calendar.due(datetime(2026, 12, 24, 9, tzinfo=UTC), Period(1, "working_days"))
    assert due == datetime(2026, 12, 29, 23, 59, 59, tzinfo=UTC)  # London is on GMT then
    summer = calendar.due(datetime(2027, 7, 1, 9, tzinfo=UTC), Period(3, "days"))
    assert summer == datetime(2027, 7, 4, 22, 59, 59, tzinfo=UTC)  # 23:59:59 BST


async def test_return_to_custody_before_christmas_sets_the_dossier_deadline_after_it(
    clock: Clock, manager: User, offender: dict[str, Any]
) -> None:
    clock.at = datetime(2026, 12, 24, 15, tzinfo=UTC)  # keyed on Christmas Eve afternoon
    case = await new_case(manager, offender["id"], "recall")
    for code, body in (
        ("assess", {}),
        ("revoke", {"date": "2026-12-22"}),
        ("return_to_custody", {"date": "2026-12-24"}),
    ):
        moved = await take(manager, case["id"], code, **body)
        assert moved.status_code == 200, moved.text

    deadlines = {d["title"]: d for d in moved.json()["deadlines"]}
    assert deadlines["Serve the recall dossier"]["due_at"] == "2026-12-29T23:59:59.000Z"
    assert "Assess the recall request" not in deadlines  # met on revocation


async def test_timer_task_met_missed_and_cancelled(
    store: Store, clock: Clock, manager: User, offender: dict[str, Any]
) -> None:
    met = await new_case(manager, offender["id"], "recall")
    missed = await new_case(manager, offender["id"], "recall")
    await take(manager, met["id"], "assess")
    await take(manager, met["id"], "revoke", date="2026-03-02")
    clock.advance(hours=30)
    await take(manager, missed["id"], "assess")
    await take(manager, missed["id"], "stop", reason="Risk managed in the community")

    outcomes = {
        t["case_id"]: (t["state"], t["outcome"])
        async for t in store.db["tasks"].find({"title": "Assess the recall request"})
    }
    assert outcomes[ObjectId(met["id"])] == ("done", "met")
    assert outcomes[ObjectId(missed["id"])] == ("done", "missed")

    ended = await new_case(manager, offender["id"], "recall")
    await take(manager, ended["id"], "assess")
    await take(manager, ended["id"], "revoke", date="2026-03-02")
    await take(manager, ended["id"], "return_to_custody", date="2026-03-02")
    rescinded = await take(manager, ended["id"], "rescind", reason="Charge dropped")
    assert rescinded.json()["deadlines"] == []
    cancelled = await store.db["tasks"].find_one(
        {"case_id": ObjectId(ended["id"]), "title": "Serve the recall dossier"}
    )
    assert cancelled is not None and cancelled["state"] == "cancelled"


async def test_two_people_taking_a_transition_at_once_one_wins(
    manager: User, make_user: MakeUser, offender: dict[str, Any]
) -> None:
    other = await make_user("caseworker")
    case = await new_case(manager, offender["id"], "recall")

    answers = await asyncio.gather(
        take(manager, case["id"], "assess"), take(other, case["id"], "assess")
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert "assessing" in loser.json()["detail"]


async def test_conditions_name_what_is_missing(
    store: Store, clock: Clock, manager: User, offender: dict[str, Any]
) -> None:
    clock.at = datetime(2026, 12, 3, 10, tzinfo=UTC)
    case = await new_case(manager, offender["id"], "recall")
    for code, body in (
        ("assess", {}),
        ("revoke", {"date": "2026-12-01"}),
        ("return_to_custody", {"date": "2026-12-02"}),
        ("prepare_dossier", {}),
    ):
        assert (await take(manager, case["id"], code, **body)).status_code == 200

    refused = await take(manager, case["id"], "serve_dossier")

    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "Licence" in detail and "no dossier has been built" in detail
    await satisfy_conditions(store, case["id"], "recall")
    assert (await take(manager, case["id"], "serve_dossier")).status_code == 200


async def test_transitions_refused_by_state_level_and_missing_fields(
    manager: User, caseworker: User, make_user: MakeUser, offender: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")
    stranger = await make_user("manager", team="north")
    case = await new_case(manager, offender["id"], "recall")

    wrong_state = await take(manager, case["id"], "part_b_received")
    unknown = await take(manager, case["id"], "fly_away")
    by_viewer = await take(viewer, case["id"], "assess")
    by_stranger = await take(stranger, case["id"], "assess")
    without_reason = await take(manager, case["id"], "stop")
    stray = await take(manager, case["id"], "assess", urgency="high")
    await take(manager, case["id"], "assess")
    without_date = await take(manager, case["id"], "revoke")
    bad_date = await take(manager, case["id"], "revoke", date="2026-02-30")
    await take(manager, case["id"], "revoke", date="2026-12-01")
    await take(manager, case["id"], "return_to_custody", date="2026-12-02")
    manager_only = await take(caseworker, case["id"], "rescind", reason="Error")

    assert wrong_state.status_code == 409
    assert "recall request received" in wrong_state.json()["detail"]
    assert unknown.status_code == 422 and "no transition 'fly_away'" in unknown.json()["detail"]
    assert by_viewer.status_code == 403
    assert by_stranger.status_code == 404
    assert without_reason.status_code == 422 and "needs a reason" in without_reason.json()["detail"]
    assert stray.status_code == 422
    assert without_date.status_code == 422
    assert "date of revocation" in without_date.json()["detail"]
    assert bad_date.status_code == 422
    assert manager_only.status_code == 403


def shorter_recall(label: str) -> str:
    """The recall workflow with its review step relabelled and a new state, as a version 2."""
    text = (workflows.DEFAULTS / "recall.yaml").read_text()
    data = yaml.safe_load(text)
    data["label"] = label
    data["states"] = [s for s in data["states"] if s["code"] != "stopped"]
    data["transitions"] = [t for t in data["transitions"] if t["code"] != "stop"]
    data["timers"][0]["done_on_enter"] = ["revoked"]
    return yaml.safe_dump(data)


async def test_running_cases_keep_their_version_until_migrated(
    store: Store, manager: User, make_user: MakeUser, offender: dict[str, Any]
) -> None:
    admin = await make_user("admin", team="hq")
    old = await new_case(manager, offender["id"], "recall")
    stopped = await new_case(manager, offender["id"], "recall")
    await take(manager, stopped["id"], "stop", reason="Not needed")

    imported = await admin.client.post(
        "/workflows/recall",
        content=shorter_recall("Recall v2"),
        headers={"Content-Type": "application/yaml"},
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["version"] == 2
    fresh = await new_case(manager, offender["id"], "recall")

    before = (await manager.client.get(f"/cases/{old['id']}")).json()["workflow"]
    assert before["workflow"]["version"] == 1
    assert "stop" in [t["code"] for t in before["transitions"]]
    assert (await manager.client.get(f"/cases/{fresh['id']}")).json()["workflow"]["workflow"][
        "version"
    ] == 2

    migrated = await admin.client.post("/workflows/recall/migrations", json={"from_version": 1})
    assert migrated.status_code == 200, migrated.text
    assert migrated.json() == {"migrated": 1, "to_version": 2, "left_in_states": ["stopped"]}
    after = (await manager.client.get(f"/cases/{old['id']}")).json()["workflow"]
    assert after["workflow"]["version"] == 2
    assert "stop" not in [t["code"] for t in after["transitions"]]

    exported = await manager.client.get("/workflows/recall/versions/2.yaml")
    assert exported.status_code == 200
    assert yaml.safe_load(exported.text)["label"] == "Recall v2"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("states: [", "not valid YAML at line"),
        ("- a list", "a mapping"),
        (
            "case_type: recall\ninitial: a\nstates: [{code: a, label: A}, {code: b, label: B, "
            "terminal: true}]\ntransitions: [{code: t, label: T, from: [a], to: c}]",
            "'c' is not a state",
        ),
        (
            "case_type: recall\ninitial: a\nstates: [{code: a, label: A}, {code: b, label: B, "
            "terminal: true}]\ntransitions: []",
            "no transition leads to b",
        ),
        (
            "case_type: recall\ninitial: a\nstates: [{code: a, label: A}, {code: b, label: B}]\n"
            "transitions: [{code: t, label: T, from: [a], to: b}]",
            "at least one state must be terminal",
        ),
        (
            "case_type: recall\ninitial: a\nstates: [{code: a, label: A}, {code: b, label: B, "
            "terminal: true}]\ntransitions: [{code: t, label: T, from: [a], to: b}]\n"
            "timers: [{on_enter: a, task: X, due: {fortnights: 2}}]",
            "must be one of hours, days, working_days, months",
        ),
        (
            "case_type: parole_review\ninitial: a\nstates: [{code: a, label: A}, {code: b, "
            "label: B, terminal: true}]\ntransitions: [{code: t, label: T, from: [a], to: b}]",
            "not 'recall'",
        ),
    ],
)
async def test_bad_workflow_definitions_are_refused_and_change_nothing(
    store: Store, make_user: MakeUser, text: str, says: str
) -> None:
    admin = await make_user("admin", team="hq")

    refused = await admin.client.post(
        "/workflows/recall", content=text, headers={"Content-Type": "application/yaml"}
    )

    assert refused.status_code == 422, refused.text
    assert says in refused.json()["detail"]
    assert await store.db["workflows"].count_documents({"case_type": "recall"}) == 1


async def test_only_administrators_import_workflows_or_set_bank_holidays(
    manager: User, make_user: MakeUser
) -> None:
    admin = await make_user("admin", team="hq")
    text = (workflows.DEFAULTS / "recall.yaml").read_text()

    by_manager = await manager.client.post(
        "/workflows/recall", content=text, headers={"Content-Type": "application/yaml"}
    )
    as_json = await admin.client.post("/workflows/recall", json={"case_type": "recall"})
    holidays = await manager.client.put("/bank-holidays/2027", json={"days": []})
    moved = await admin.client.put(
        "/bank-holidays/2027",
        json={"days": [{"date": "2027-06-07", "name": "Coronation"}]},
    )
    wrong_year = await admin.client.put(
        "/bank-holidays/2027", json={"days": [{"date": "2028-01-01", "name": "New Year"}]}
    )

    assert by_manager.status_code == 403
    assert as_json.status_code == 422 and "application/yaml" in as_json.json()["detail"]
    assert holidays.status_code == 403
    assert moved.status_code == 200
    listed = (await manager.client.get("/bank-holidays")).json()["items"]
    assert {"year": 2027, "days": [{"date": "2027-06-07", "name": "Coronation"}]} in listed
    assert wrong_year.status_code == 422


async def test_bad_bank_holidays_are_refused_by_name(make_user: MakeUser) -> None:
    admin = await make_user("admin", team="hq")

    def days(*dates: str) -> dict[str, Any]:
        return {"days": [{"date": d, "name": "Holiday"} for d in dates]}

    weekend = await admin.client.put("/bank-holidays/2027", json=days("2027-06-05"))
    twice = await admin.client.put("/bank-holidays/2027", json=days("2027-06-07", "2027-06-07"))
    not_a_year = await admin.client.put("/bank-holidays/abc", json=days())

    assert weekend.status_code == 422 and "2027-06-05 is a weekend day" in weekend.json()["detail"]
    assert twice.status_code == 422 and "listed twice" in twice.json()["detail"]
    assert not_a_year.status_code == 422
    assert not_a_year.json()["errors"][0]["field"] == "year"


async def test_a_task_is_not_given_to_a_viewer(
    manager: User, make_user: MakeUser, offender: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")
    case = await new_case(manager, offender["id"], "recall")

    given = await manager.client.post(
        f"/cases/{case['id']}/tasks",
        json={"title": "Chase the OASys", "due": "2026-12-30", "assignee": viewer.username},
    )

    assert given.status_code == 422 and "is a viewer" in given.json()["detail"]


async def test_workflow_yaml_of_the_wrong_shape_is_refused_naming_the_place(
    make_user: MakeUser,
) -> None:
    admin = await make_user("admin", team="hq")
    text = (workflows.DEFAULTS / "recall.yaml").read_text()
    nested = text.replace("from: [received]", "from: [[received]]", 1)
    timer = text.replace("on_enter: received", "on_enter: [received]", 1)
    twice = text.replace("label: ", "label: First\nlabel: ", 1)
    deep = "[" * 5000 + "]" * 5000

    answers = [
        await admin.client.post(
            "/workflows/recall", content=body, headers={"Content-Type": "application/yaml"}
        )
        for body in (nested, timer, twice, deep)
    ]

    assert [a.status_code for a in answers] == [422, 422, 422, 422]
    assert "a list is not a state" in answers[0].json()["detail"]
    assert "on_enter" in answers[1].json()["detail"]
    assert "is given twice" in answers[2].json()["detail"]
    assert "nested too deeply" in answers[3].json()["detail"]


async def test_tasks_by_hand_listed_done_and_exported(
    manager: User, caseworker: User, make_user: MakeUser, offender: dict[str, Any]
) -> None:
    stranger = await make_user("manager", team="north")
    case = await new_case(manager, offender["id"], "parole_review")

    made = await manager.client.post(
        f"/cases/{case['id']}/tasks",
        json={"title": "=Chase the OASys", "due": "2026-12-10", "assignee": caseworker.username},
    )
    assert made.status_code == 201, made.text
    task = made.json()
    elsewhere = await manager.client.post(
        f"/cases/{case['id']}/tasks",
        json={"title": "X", "due": "2026-12-10", "assignee": stranger.username},
    )
    mine = (await caseworker.client.get("/tasks", params={"assignee": caseworker.username})).json()
    theirs = (await stranger.client.get("/tasks")).json()
    exported = await manager.client.get("/tasks.csv")
    done = await caseworker.client.patch(f"/tasks/{task['id']}", json={"state": "done"})
    again = await caseworker.client.patch(f"/tasks/{task['id']}", json={"state": "done"})
    hidden = await stranger.client.patch(f"/tasks/{task['id']}", json={"state": "done"})

    assert elsewhere.status_code == 422 and "not in team ppcs" in elsewhere.json()["detail"]
    assert [t["id"] for t in mine["items"]] == [task["id"]]
    assert theirs["items"] == []
    assert exported.status_code == 200
    assert "'=Chase the OASys" in exported.text  # a formula is shown, never run
    assert done.status_code == 200 and done.json()["outcome"] == "met"
    assert again.status_code == 409
    assert hidden.status_code == 404


async def test_the_sweep_marks_tasks_overdue_once_as_their_time_passes(
    store: Store, clock: Clock, manager: User, offender: dict[str, Any]
) -> None:
    case = await new_case(manager, offender["id"], "recall")
    assessment = {"case_id": ObjectId(case["id"]), "title": "Assess the recall request"}

    before = await tasks.sweep(store)
    clock.advance(hours=25)
    first = await tasks.sweep(store)
    second = await tasks.sweep(store)
    marked = await store.db["tasks"].find_one(assessment)
    listed = await manager.client.get("/tasks", params={"due": "overdue"})

    assert (before, first, second) == (0, 1, 0)
    assert marked is not None and marked["overdue"] is True
    assert [t["title"] for t in listed.json()["items"]] == ["Assess the recall request"]
    assert listed.json()["items"][0]["overdue"] is True


async def test_transition_dates_must_not_be_to_come_nor_before_the_last_date_given(
    clock: Clock, manager: User, offender: dict[str, Any]
) -> None:
    clock.at = datetime(2026, 12, 4, 10, tzinfo=UTC)
    case = await new_case(manager, offender["id"], "recall")
    await take(manager, case["id"], "assess")

    ahead = await take(manager, case["id"], "revoke", date="2030-01-01")
    revoked = await take(manager, case["id"], "revoke", date="2026-12-01")
    too_early = await take(manager, case["id"], "return_to_custody", date="1900-01-01")
    in_custody = await take(manager, case["id"], "return_to_custody", date="2026-12-01")

    assert ahead.status_code == 422
    assert "cannot be later than today, 2026-12-04" in ahead.json()["detail"]
    assert revoked.status_code == 200
    assert too_early.status_code == 422
    assert "cannot be before 2026-12-01, the date of revocation given" in too_early.json()["detail"]
    assert in_custody.status_code == 200, in_custody.text
