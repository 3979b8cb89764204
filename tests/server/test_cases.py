from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import MakeUser, User, upload

PROBLEM_JSON = "application/problem+json"
MISSING_ID = "0123456789abcdef01234567"


async def open_case(client: httpx.AsyncClient, offender_id: str, **fields: Any) -> httpx.Response:
    body = {"offender_id": offender_id, "case_type": "recall", "title": "Recall review"}
    return await client.post("/cases", json=body | fields)


async def new_case(client: httpx.AsyncClient, offender_id: str, **fields: Any) -> dict[str, Any]:
    response = await open_case(client, offender_id, **fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def new_folder(client: httpx.AsyncClient, case_id: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(f"/cases/{case_id}/folders", json=fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def listed_ids(client: httpx.AsyncClient, **params: str) -> set[str]:
    response = await client.get("/cases", params=params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def error_fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def without_id(response: httpx.Response, record_id: str) -> str:
    """The problem's detail with the requested id blanked, to compare two 404s."""
    return str(response.json()["detail"]).replace(record_id, "<id>")


async def test_case_create_answers_201_with_offender_summary_and_no_folders(
    caseworker: User, offender: dict[str, Any]
) -> None:
    response = await open_case(caseworker.client, offender["id"], team="ppcs")

    assert response.status_code == 201
    body = response.json()
    assert body["offender_id"] == offender["id"]
    assert body["offender"] == {
        "id": offender["id"],
        "family_name": "Example",
        "given_names": "Alex Sam",
        "date_of_birth": "1985-04-12",
        "nomis_number": None,
    }
    assert body["case_type"] == "recall"
    assert body["title"] == "Recall review"
    assert body["team"] == "ppcs"
    # A recall starts received, with its 24-hour assessment set by the workflow.
    assert body["state"] == "received"
    assert body["workflow"]["state_label"] == "Recall request received"
    assert body["folders"] == []
    assert [t["title"] for t in body["deadlines"]] == ["Assess the recall request"]
    assert body["tasks"] == body["deadlines"]
    assert body["created_at"].endswith("Z")


async def test_case_create_defaults_to_the_callers_team(
    make_user: MakeUser, offender: dict[str, Any]
) -> None:
    north = await make_user("caseworker", team="north")

    created = await new_case(north.client, offender["id"])

    assert created["team"] == "north"


async def test_case_create_accepts_case_type_by_code_or_label(
    caseworker: User, offender: dict[str, Any]
) -> None:
    by_code = await new_case(caseworker.client, offender["id"], case_type="parole_review")
    by_label = await new_case(caseworker.client, offender["id"], case_type="Parole review")
    by_long_label = await new_case(
        caseworker.client, offender["id"], case_type="Restricted patient (mental health)"
    )
    by_spelling = await new_case(caseworker.client, offender["id"], case_type="mental-health")

    assert by_code["case_type"] == "parole_review"
    assert by_label["case_type"] == "parole_review"
    assert by_long_label["case_type"] == "mental_health"
    assert by_spelling["case_type"] == "mental_health"


async def test_case_create_refuses_an_unknown_case_type(
    caseworker: User, offender: dict[str, Any]
) -> None:
    response = await open_case(caseworker.client, offender["id"], case_type="burglary")

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert error_fields(response) == ["case_type"]
    assert "recall" in response.json()["errors"][0]["message"]


async def test_case_create_refuses_an_unknown_offender(caseworker: User) -> None:
    absent = await open_case(caseworker.client, MISSING_ID)
    malformed = await open_case(caseworker.client, "not-an-id")

    assert absent.status_code == 422
    assert error_fields(absent) == ["offender_id"]
    assert malformed.status_code == 422
    assert error_fields(malformed) == ["offender_id"]


async def test_case_create_refuses_missing_fields_all_at_once(caseworker: User) -> None:
    response = await caseworker.client.post("/cases", json={"team": "ppcs"})

    assert response.status_code == 422
    assert set(error_fields(response)) == {"offender_id", "case_type", "title"}


async def test_case_create_by_admin_refuses_an_unknown_team(
    make_user: MakeUser, offender: dict[str, Any]
) -> None:
    admin = await make_user("admin", team="hq")

    response = await open_case(admin.client, offender["id"], team="no-such-team")

    assert response.status_code == 422
    assert error_fields(response) == ["team"]


async def test_case_create_by_admin_in_any_existing_team(
    make_user: MakeUser, caseworker: User, offender: dict[str, Any]
) -> None:
    admin = await make_user("admin", team="hq")

    created = await new_case(admin.client, offender["id"], team=caseworker.team)

    assert created["team"] == caseworker.team
    assert created["id"] in await listed_ids(caseworker.client)


async def test_case_create_for_another_team_is_forbidden_and_an_unknown_team_invalid(
    make_user: MakeUser, caseworker: User, offender: dict[str, Any]
) -> None:
    await make_user("caseworker", team="north")
    admin = await make_user("admin", team="north")

    elsewhere = await open_case(caseworker.client, offender["id"], team="north")
    nowhere = await open_case(caseworker.client, offender["id"], team="no-such-team")
    nowhere_for_admin = await open_case(admin.client, offender["id"], team="no-such-team")

    # Team names are not secret (every case shows its team); saying why helps.
    assert elsewhere.status_code == 403
    assert "your own team" in elsewhere.json()["detail"]
    assert nowhere.status_code == nowhere_for_admin.status_code == 422
    assert nowhere.json()["errors"] == [
        {"field": "team", "message": "there is no team named 'no-such-team'"}
    ]
    assert await listed_ids(caseworker.client) == set()


async def test_case_create_is_refused_to_a_viewer(
    make_user: MakeUser, offender: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")

    response = await open_case(viewer.client, offender["id"], team=viewer.team)

    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


async def test_case_get_returns_the_case_with_its_folders(
    caseworker: User, case: dict[str, Any]
) -> None:
    folder = await new_folder(caseworker.client, case["id"], name="Reports")

    response = await caseworker.client.get(f"/cases/{case['id']}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == case["id"]
    assert body["offender"] == case["offender"]
    assert body["folders"] == [folder]


async def test_case_get_unknown_or_malformed_id_is_404(caseworker: User) -> None:
    absent = await caseworker.client.get(f"/cases/{MISSING_ID}")
    malformed = await caseworker.client.get("/cases/xyz")

    assert absent.status_code == 404
    assert malformed.status_code == 404
    assert absent.headers["content-type"].startswith(PROBLEM_JSON)


async def test_case_get_of_another_team_is_404_like_an_absent_case(
    make_user: MakeUser, case: dict[str, Any]
) -> None:
    north = await make_user("caseworker", team="north")

    hidden = await north.client.get(f"/cases/{case['id']}")
    absent = await north.client.get(f"/cases/{MISSING_ID}")

    assert hidden.status_code == 404
    assert hidden.json()["title"] == absent.json()["title"]
    # api.md: never reveal that a record exists to someone who may not see it.
    assert without_id(hidden, case["id"]) == without_id(absent, MISSING_ID)


async def test_case_get_of_another_team_is_404_for_a_manager_too(
    make_user: MakeUser, case: dict[str, Any]
) -> None:
    manager = await make_user("manager", team="north")

    response = await manager.client.get(f"/cases/{case['id']}")

    assert response.status_code == 404


async def test_case_get_of_any_team_is_allowed_to_an_admin(
    make_user: MakeUser, case: dict[str, Any]
) -> None:
    admin = await make_user("admin", team="hq")

    response = await admin.client.get(f"/cases/{case['id']}")

    assert response.status_code == 200
    assert response.json()["id"] == case["id"]


async def test_case_list_filters_by_offender_team_and_state(
    make_user: MakeUser, caseworker: User, offender: dict[str, Any]
) -> None:
    admin = await make_user("admin", team="hq")
    await make_user("caseworker", team="north")
    other_offender = (
        await caseworker.client.post(
            "/offenders",
            json={"family_name": "Other", "given_names": "Pat", "date_of_birth": "1970-01-01"},
        )
    ).json()
    first = await new_case(caseworker.client, offender["id"])
    second = await new_case(caseworker.client, other_offender["id"])
    northern = await new_case(admin.client, offender["id"], team="north")

    by_offender = await listed_ids(admin.client, offender_id=offender["id"])
    by_team = await listed_ids(admin.client, team="ppcs")
    by_open_state = await listed_ids(admin.client, state="received")
    by_closed_state = await listed_ids(admin.client, state="closed")
    by_both = await listed_ids(admin.client, offender_id=offender["id"], team="north")
    by_bad_offender_id = await listed_ids(admin.client, offender_id="nonsense")

    assert by_offender == {first["id"], northern["id"]}
    assert by_team == {first["id"], second["id"]}
    assert by_open_state == {first["id"], second["id"], northern["id"]}
    assert by_closed_state == set()
    assert by_both == {northern["id"]}
    assert by_bad_offender_id == set()


async def test_case_list_shows_a_caseworker_only_their_teams_cases(
    make_user: MakeUser, caseworker: User, case: dict[str, Any]
) -> None:
    north = await make_user("caseworker", team="north")
    northern = await new_case(north.client, case["offender_id"])

    seen_by_north = await listed_ids(north.client)
    asked_for_ppcs = await listed_ids(north.client, team="ppcs")
    seen_by_ppcs = await listed_ids(caseworker.client)

    assert seen_by_north == {northern["id"]}
    assert asked_for_ppcs == set()
    assert seen_by_ppcs == {case["id"]}


async def test_case_list_of_an_external_user_is_empty_until_cases_are_associated(
    make_user: MakeUser, case: dict[str, Any]
) -> None:
    external = await make_user("caseworker", external=True, organisation="Solicitors LLP")

    response = await external.client.get("/cases")

    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}


async def test_case_list_shows_an_admin_every_team(
    make_user: MakeUser, case: dict[str, Any]
) -> None:
    north = await make_user("caseworker", team="north")
    northern = await new_case(north.client, case["offender_id"])
    admin = await make_user("admin", team="hq")

    seen = await listed_ids(admin.client)

    assert seen == {case["id"], northern["id"]}


async def test_case_list_items_are_summaries(caseworker: User, case: dict[str, Any]) -> None:
    response = await caseworker.client.get("/cases")

    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    assert body["items"] == [
        {key: case[key] for key in ("id", "offender_id", "case_type", "title", "team", "state")}
        | {"created_at": case["created_at"]}
    ]


async def test_case_list_pages_with_a_cursor(caseworker: User, offender: dict[str, Any]) -> None:
    created = [(await new_case(caseworker.client, offender["id"]))["id"] for _ in range(3)]

    first = (await caseworker.client.get("/cases", params={"limit": "2"})).json()
    rest = (
        await caseworker.client.get("/cases", params={"limit": "2", "cursor": first["next_cursor"]})
    ).json()

    assert [item["id"] for item in first["items"]] == created[:2]
    assert [item["id"] for item in rest["items"]] == created[2:]
    assert rest["next_cursor"] is None


async def test_folder_create_answers_201_with_the_folder(
    caseworker: User, case: dict[str, Any]
) -> None:
    response = await caseworker.client.post(f"/cases/{case['id']}/folders", json={"name": "Parole"})

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Parole"
    assert body["case_id"] == case["id"]
    assert body["parent_id"] is None
    assert body["created_at"].endswith("Z")


async def test_folder_create_nests_under_a_parent(caseworker: User, case: dict[str, Any]) -> None:
    parent = await new_folder(caseworker.client, case["id"], name="Reports")

    child = await new_folder(
        caseworker.client, case["id"], name="Psychiatric", parent_id=parent["id"]
    )

    assert child["parent_id"] == parent["id"]
    fetched = (await caseworker.client.get(f"/cases/{case['id']}")).json()
    assert [f["id"] for f in fetched["folders"]] == [parent["id"], child["id"]]


async def test_folder_create_refuses_a_duplicate_name_in_the_same_parent(
    caseworker: User, case: dict[str, Any]
) -> None:
    parent = await new_folder(caseworker.client, case["id"], name="Reports")
    await new_folder(caseworker.client, case["id"], name="Old", parent_id=parent["id"])

    top_level_again = await caseworker.client.post(
        f"/cases/{case['id']}/folders", json={"name": "Reports"}
    )
    nested_again = await caseworker.client.post(
        f"/cases/{case['id']}/folders", json={"name": "Old", "parent_id": parent["id"]}
    )

    assert top_level_again.status_code == 409
    assert top_level_again.headers["content-type"].startswith(PROBLEM_JSON)
    assert nested_again.status_code == 409


async def test_folder_create_allows_the_same_name_under_different_parents(
    caseworker: User, case: dict[str, Any]
) -> None:
    first = await new_folder(caseworker.client, case["id"], name="2025")
    second = await new_folder(caseworker.client, case["id"], name="2026")

    a = await new_folder(caseworker.client, case["id"], name="Letters", parent_id=first["id"])
    b = await new_folder(caseworker.client, case["id"], name="Letters", parent_id=second["id"])

    assert a["id"] != b["id"]


async def test_folder_create_refuses_a_parent_from_another_case(
    caseworker: User, case: dict[str, Any]
) -> None:
    other_case = await new_case(caseworker.client, case["offender_id"])
    elsewhere = await new_folder(caseworker.client, other_case["id"], name="Elsewhere")

    response = await caseworker.client.post(
        f"/cases/{case['id']}/folders", json={"name": "Child", "parent_id": elsewhere["id"]}
    )

    assert response.status_code == 422
    assert error_fields(response) == ["parent_id"]


async def test_folder_create_refuses_a_malformed_parent_id(
    caseworker: User, case: dict[str, Any]
) -> None:
    response = await caseworker.client.post(
        f"/cases/{case['id']}/folders", json={"name": "Child", "parent_id": "nonsense"}
    )

    assert response.status_code == 422
    assert error_fields(response) == ["parent_id"]


async def test_folder_create_refuses_nesting_deeper_than_eight(
    caseworker: User, case: dict[str, Any]
) -> None:
    parent_id = None
    for depth in range(8):
        fields = {"name": f"Level {depth}"} | ({"parent_id": parent_id} if parent_id else {})
        parent_id = (await new_folder(caseworker.client, case["id"], **fields))["id"]

    response = await caseworker.client.post(
        f"/cases/{case['id']}/folders", json={"name": "Too deep", "parent_id": parent_id}
    )

    assert response.status_code == 422
    assert error_fields(response) == ["parent_id"]


async def test_folder_create_refuses_a_name_with_a_slash(
    caseworker: User, case: dict[str, Any]
) -> None:
    for name in ("a/b", "..", "."):
        response = await caseworker.client.post(f"/cases/{case['id']}/folders", json={"name": name})

        assert response.status_code == 422, name
        assert error_fields(response) == ["name"]


async def test_folder_create_refuses_a_missing_name(caseworker: User, case: dict[str, Any]) -> None:
    response = await caseworker.client.post(f"/cases/{case['id']}/folders", json={})

    assert response.status_code == 422
    assert error_fields(response) == ["name"]


async def test_folder_create_in_another_teams_case_is_404(
    make_user: MakeUser, case: dict[str, Any]
) -> None:
    north = await make_user("caseworker", team="north")

    response = await north.client.post(f"/cases/{case['id']}/folders", json={"name": "Mine"})

    assert response.status_code == 404


async def test_folder_create_is_refused_to_a_viewer(
    make_user: MakeUser, case: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")

    response = await viewer.client.post(f"/cases/{case['id']}/folders", json={"name": "Mine"})

    assert response.status_code == 403


async def test_case_documents_lists_the_cases_documents(
    caseworker: User, case: dict[str, Any], document: dict[str, Any]
) -> None:
    second = await upload(caseworker.client, case["id"], b"plain notes\n", "notes.txt")

    response = await caseworker.client.get(f"/cases/{case['id']}/documents")

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [document["id"], second.json()["id"]]
    assert body["items"][0]["title"] == document["title"]
    assert body["items"][0]["case_id"] == case["id"]
    assert body["next_cursor"] is None


async def test_case_documents_of_a_case_without_documents_is_empty(
    caseworker: User, case: dict[str, Any]
) -> None:
    response = await caseworker.client.get(f"/cases/{case['id']}/documents")

    assert response.status_code == 200
    assert response.json()["items"] == []


async def test_case_documents_of_another_teams_case_is_404(
    make_user: MakeUser, case: dict[str, Any], document: dict[str, Any]
) -> None:
    north = await make_user("caseworker", team="north")

    response = await north.client.get(f"/cases/{case['id']}/documents")

    assert response.status_code == 404
    assert document["id"] not in response.text


async def test_case_route_with_a_trailing_slash_is_not_redirected(caseworker: User) -> None:
    response = await caseworker.client.get("/cases/", headers={"Host": "evil.example"})

    # No 307 to a location built from the client's Host header: a plain 404.
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "location" not in response.headers


async def test_case_folder_names_are_compared_in_one_unicode_form(
    caseworker: User, case: dict[str, Any]
) -> None:
    composed = await caseworker.client.post(
        f"/cases/{case['id']}/folders", json={"name": "Caf\u00e9 reports"}
    )
    decomposed = await caseworker.client.post(
        f"/cases/{case['id']}/folders", json={"name": "Cafe\u0301 reports"}
    )

    assert composed.status_code == 201, composed.text
    assert decomposed.status_code == 409, decomposed.text
