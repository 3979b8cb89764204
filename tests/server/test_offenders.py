from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Clock, MakeUser, User

PROBLEM_JSON = "application/problem+json"
MISSING_ID = "0123456789abcdef01234567"


async def new_offender(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"family_name": "Example", "given_names": "Alex", "date_of_birth": "1985-04-12"}
    response = await client.post("/offenders", json=body | fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


def error_fields(response: httpx.Response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


async def search(client: httpx.AsyncClient, q: str) -> set[str]:
    response = await client.get("/offenders", params={"q": q})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_offender_create_answers_201_with_the_record(caseworker: User) -> None:
    response = await caseworker.client.post(
        "/offenders",
        json={
            "family_name": "Smith",
            "given_names": "John Paul",
            "date_of_birth": "1979-02-28",
            "pnc_number": "2001/0012345a",
            "aliases": ["Johnny Smyth"],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert body["family_name"] == "Smith"
    assert body["given_names"] == "John Paul"
    assert body["date_of_birth"] == "1979-02-28"
    assert body["pnc_number"] == "2001/0012345A"
    assert body["aliases"] == ["Johnny Smyth"]
    assert body["nomis_number"] is None
    assert body["revision"] == 1
    assert body["created_at"].endswith("Z")
    assert isinstance(body["id"], str) and body["id"]


async def test_offender_create_normalises_noms_number_to_upper_case(caseworker: User) -> None:
    created = await new_offender(caseworker.client, nomis_number="a1234bc")

    assert created["nomis_number"] == "A1234BC"
    fetched = await caseworker.client.get(f"/offenders/{created['id']}")
    assert fetched.json()["nomis_number"] == "A1234BC"


async def test_offender_create_refuses_an_invalid_noms_number(caseworker: User) -> None:
    response = await caseworker.client.post(
        "/offenders",
        json={
            "family_name": "Smith",
            "given_names": "John",
            "date_of_birth": "1979-02-28",
            "nomis_number": "12345",
        },
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert error_fields(response) == ["nomis_number"]
    assert response.json()["status"] == 422


async def test_offender_create_requires_family_name(caseworker: User) -> None:
    response = await caseworker.client.post(
        "/offenders", json={"given_names": "John", "date_of_birth": "1979-02-28"}
    )

    assert response.status_code == 422
    assert error_fields(response) == ["family_name"]


async def test_offender_create_lists_every_invalid_field_at_once(caseworker: User) -> None:
    response = await caseworker.client.post(
        "/offenders",
        json={"given_names": "John", "date_of_birth": "28/02/1979", "shoe_size": 9},
    )

    assert response.status_code == 422
    assert set(error_fields(response)) == {"family_name", "date_of_birth", "shoe_size"}


async def test_offender_create_refuses_a_body_that_is_not_an_object(caseworker: User) -> None:
    response = await caseworker.client.post("/offenders", json=["Smith", "John"])

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "object" in response.json()["detail"]


async def test_offender_create_refuses_invalid_json(caseworker: User) -> None:
    response = await caseworker.client.post(
        "/offenders",
        content=b'{"family_name": "Smith",',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["title"] == "Malformed request"


async def test_offender_create_refuses_an_empty_body(caseworker: User) -> None:
    response = await caseworker.client.post("/offenders", content=b"")

    assert response.status_code == 400


async def test_offender_create_refuses_a_duplicate_noms_number(caseworker: User) -> None:
    await new_offender(caseworker.client, nomis_number="A1234BC")

    response = await caseworker.client.post(
        "/offenders",
        json={
            "family_name": "Other",
            "given_names": "Person",
            "date_of_birth": "1990-01-01",
            "nomis_number": "a1234bc",
        },
    )

    assert response.status_code == 409
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "NOMS" in response.json()["detail"]


async def test_offender_create_allows_many_offenders_without_noms_numbers(
    caseworker: User,
) -> None:
    first = await new_offender(caseworker.client)

    second = await new_offender(caseworker.client)

    assert first["id"] != second["id"]
    assert first["nomis_number"] is None and second["nomis_number"] is None


async def test_offender_get_returns_the_record(caseworker: User, offender: dict[str, Any]) -> None:
    response = await caseworker.client.get(f"/offenders/{offender['id']}")

    assert response.status_code == 200
    assert response.json() == offender


async def test_offender_get_unknown_id_is_404(caseworker: User) -> None:
    response = await caseworker.client.get(f"/offenders/{MISSING_ID}")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


async def test_offender_get_malformed_id_is_404(caseworker: User) -> None:
    response = await caseworker.client.get("/offenders/not-an-id")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


async def test_offender_patch_changes_the_named_fields_only(
    caseworker: User, offender: dict[str, Any]
) -> None:
    response = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"family_name": "Changed", "pnc_number": "99/1x"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["family_name"] == "Changed"
    assert body["pnc_number"] == "99/1X"
    assert body["given_names"] == offender["given_names"]
    assert body["date_of_birth"] == offender["date_of_birth"]
    assert body["revision"] == offender["revision"] + 1
    fetched = await caseworker.client.get(f"/offenders/{offender['id']}")
    assert fetched.json() == body


async def test_offender_patch_with_null_identifier_removes_it(caseworker: User) -> None:
    first = await new_offender(caseworker.client, nomis_number="B2345CD")

    response = await caseworker.client.patch(
        f"/offenders/{first['id']}", json={"nomis_number": None}
    )

    assert response.status_code == 200
    assert response.json()["nomis_number"] is None
    # Removed, not stored as null: the NOMS number is free for another record.
    second = await new_offender(caseworker.client, nomis_number="B2345CD")
    assert second["nomis_number"] == "B2345CD"


async def test_offender_patch_refuses_a_noms_number_already_taken(caseworker: User) -> None:
    await new_offender(caseworker.client, nomis_number="C3456DE")
    other = await new_offender(caseworker.client)

    response = await caseworker.client.patch(
        f"/offenders/{other['id']}", json={"nomis_number": "C3456DE"}
    )

    assert response.status_code == 409


async def test_offender_patch_refuses_invalid_fields(
    caseworker: User, offender: dict[str, Any]
) -> None:
    response = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"date_of_birth": "yesterday", "nomis_number": "X"}
    )

    assert response.status_code == 422
    assert set(error_fields(response)) == {"date_of_birth", "nomis_number"}
    fetched = await caseworker.client.get(f"/offenders/{offender['id']}")
    assert fetched.json() == offender


async def test_offender_patch_names_each_field_once_for_what_is_wrong_with_it(
    caseworker: User, offender: dict[str, Any]
) -> None:
    response = await caseworker.client.patch(
        f"/offenders/{offender['id']}",
        json={"pnc_number": "1" * 21, "aliases": ["A" * 201]},
    )

    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("pnc_number", "must be at most 20 characters"),
        ("aliases", "must have entries of at most 200 characters each"),
    ]


async def test_offender_patch_unknown_id_is_404(caseworker: User) -> None:
    response = await caseworker.client.patch(
        f"/offenders/{MISSING_ID}", json={"family_name": "Nobody"}
    )

    assert response.status_code == 404


async def test_offender_search_matches_family_name_prefix_in_any_case(caseworker: User) -> None:
    smith = await new_offender(caseworker.client, family_name="Smithson")
    await new_offender(caseworker.client, family_name="Jones")

    found = await search(caseworker.client, "smi")

    assert found == {smith["id"]}


async def test_offender_search_does_not_match_inside_a_family_name(caseworker: User) -> None:
    await new_offender(caseworker.client, family_name="Goldsmith")

    found = await search(caseworker.client, "smith")

    assert found == set()


async def test_offender_search_matches_any_given_name(caseworker: User) -> None:
    both = await new_offender(caseworker.client, family_name="Brown", given_names="Mary Ellen")
    await new_offender(caseworker.client, family_name="Brown", given_names="Sue")

    by_second_name = await search(caseworker.client, "ellen")
    by_both_words = await search(caseworker.client, "Brown Mary")

    assert by_second_name == {both["id"]}
    assert by_both_words == {both["id"]}


async def test_offender_search_matches_an_alias(caseworker: User) -> None:
    aliased = await new_offender(caseworker.client, family_name="Green", aliases=["Tommy Gunn"])
    await new_offender(caseworker.client, family_name="Gray")

    found = await search(caseworker.client, "tommy")

    assert found == {aliased["id"]}


async def test_offender_search_matches_identifiers_exactly_in_any_case(caseworker: User) -> None:
    noms = await new_offender(caseworker.client, nomis_number="D4567EF")
    pnc = await new_offender(caseworker.client, pnc_number="2001/0012345A")

    by_noms = await search(caseworker.client, "d4567ef")
    by_pnc = await search(caseworker.client, "2001/0012345a")
    by_partial_noms = await search(caseworker.client, "D4567")

    assert by_noms == {noms["id"]}
    assert by_pnc == {pnc["id"]}
    assert by_partial_noms == set()


async def test_offender_search_treats_the_query_as_text_not_a_pattern(caseworker: User) -> None:
    await new_offender(caseworker.client, family_name="Smith")

    found = await search(caseworker.client, ".*")

    assert found == set()


async def test_offender_search_refuses_a_query_longer_than_any_name(caseworker: User) -> None:
    long_query = await caseworker.client.get("/offenders", params={"q": "x" * 1000})
    long_word = await caseworker.client.get("/offenders", params={"q": "Smith " + "y" * 65})

    for response in (long_query, long_word):
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "q"


async def test_offender_search_by_an_external_user_is_forbidden(make_user: MakeUser) -> None:
    external = await make_user("caseworker", external=True, organisation="Solicitors LLP")

    response = await external.client.get("/offenders")

    # Offenders lie outside what an external user may see: refused, not an empty page.
    assert response.status_code == 403
    assert "external users" in response.json()["detail"]


async def test_offender_list_without_query_pages_through_every_record(caseworker: User) -> None:
    created = [
        (await new_offender(caseworker.client, family_name=f"Page{n}"))["id"] for n in range(7)
    ]

    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        response = await caseworker.client.get("/offenders", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 3
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == created


async def test_offender_list_default_page_has_no_next_cursor_when_all_fit(
    caseworker: User,
) -> None:
    await new_offender(caseworker.client)

    response = await caseworker.client.get("/offenders")

    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
    assert response.json()["next_cursor"] is None


async def test_offender_list_refuses_limits_out_of_range(caseworker: User) -> None:
    for limit in ("0", "501", "-1", "ten"):
        response = await caseworker.client.get("/offenders", params={"limit": limit})

        assert response.status_code == 422, limit
        assert error_fields(response) == ["limit"]


async def test_offender_list_accepts_the_maximum_limit(caseworker: User) -> None:
    response = await caseworker.client.get("/offenders", params={"limit": "500"})

    assert response.status_code == 200


async def test_offender_list_refuses_a_garbage_cursor(caseworker: User) -> None:
    response = await caseworker.client.get("/offenders", params={"cursor": "not a cursor!"})

    assert response.status_code == 422
    assert error_fields(response) == ["cursor"]


async def test_offender_viewer_may_read_but_not_create(
    make_user: MakeUser, offender: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")

    read = await viewer.client.get(f"/offenders/{offender['id']}")
    listed = await viewer.client.get("/offenders")
    created = await viewer.client.post(
        "/offenders",
        json={"family_name": "Smith", "given_names": "John", "date_of_birth": "1979-02-28"},
    )
    changed = await viewer.client.patch(
        f"/offenders/{offender['id']}", json={"family_name": "Changed"}
    )

    assert read.status_code == 200
    assert listed.status_code == 200
    assert created.status_code == 403
    assert created.headers["content-type"].startswith(PROBLEM_JSON)
    assert changed.status_code == 403
    unchanged = await viewer.client.get(f"/offenders/{offender['id']}")
    assert unchanged.json()["family_name"] == offender["family_name"]


async def test_offender_routes_need_credentials(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/v1/offenders")

    assert response.status_code == 401


@pytest.mark.parametrize(
    "date_of_birth",
    ["19850412", "2026-W01-1", "1985-4-12", "1985-02-30", "0985-04-12", "9999-12-31"],
    ids=["basic-format", "week-date", "unpadded", "no-such-day", "before-1900", "future"],
)
async def test_offender_date_of_birth_must_be_a_real_past_date_written_out(
    caseworker: User, date_of_birth: str
) -> None:
    body = {"family_name": "Example", "given_names": "Alex", "date_of_birth": date_of_birth}

    response = await caseworker.client.post("/offenders", json=body)

    assert response.status_code == 422, response.text
    assert error_fields(response) == ["date_of_birth"]


@pytest.mark.parametrize(
    "alias",
    ["a\u0000b", "\u202egpj.exe", "z" * 201],
    ids=["nul", "bidi-override", "too-long"],
)
async def test_offender_aliases_are_checked_like_names(caseworker: User, alias: str) -> None:
    body = {"family_name": "Example", "given_names": "Alex", "date_of_birth": "1985-04-12"}

    response = await caseworker.client.post("/offenders", json=body | {"aliases": [alias]})

    assert response.status_code == 422, response.text
    assert error_fields(response) == ["aliases"]


async def test_offender_names_are_kept_in_one_unicode_form(caseworker: User) -> None:
    decomposed = await new_offender(caseworker.client, family_name="Jose\u0301")

    # "José" typed as e + combining accent is found by the precomposed spelling.
    assert decomposed["family_name"] == "Jos\u00e9"
    assert decomposed["id"] in await search(caseworker.client, "Jos\u00e9")


async def test_offender_patch_that_changes_nothing_keeps_the_revision(caseworker: User) -> None:
    created = await new_offender(caseworker.client)

    empty = await caseworker.client.patch(f"/offenders/{created['id']}", json={})
    same = await caseworker.client.patch(
        f"/offenders/{created['id']}", json={"family_name": "Example"}
    )
    events = await caseworker.client.get("/audit")

    assert empty.status_code == same.status_code == 200
    assert empty.json()["revision"] == same.json()["revision"] == 1
    assert "offender.update" not in {e["action"] for e in events.json()["items"]}


@pytest.mark.parametrize(
    "limit", ["\u0661", "1" * 5000, "2.5"], ids=["arabic-digit", "huge", "fraction"]
)
async def test_offender_list_limit_must_be_plain_digits(caseworker: User, limit: str) -> None:
    response = await caseworker.client.get("/offenders", params={"limit": limit})

    assert response.status_code == 422
    assert error_fields(response) == ["limit"]
    assert len(response.json()["detail"]) < 200


async def test_offender_changed_only_by_a_team_with_a_case_about_them(
    caseworker: User, make_user: MakeUser, offender: dict[str, Any], case: dict[str, Any]
) -> None:
    assert case["offender_id"] == offender["id"]
    stranger = await make_user("caseworker", team="north")
    admin = await make_user("admin", team="hq")
    change = {"given_names": "Changed"}

    refused = await stranger.client.patch(f"/offenders/{offender['id']}", json=change)
    allowed = await caseworker.client.patch(f"/offenders/{offender['id']}", json=change)
    by_admin = await admin.client.patch(f"/offenders/{offender['id']}", json={"given_names": "A"})

    assert refused.status_code == 403 and "team with a case" in refused.json()["detail"]
    assert allowed.status_code == 200, allowed.text
    assert by_admin.status_code == 200, by_admin.text


@pytest.mark.parametrize("died", ["2030-01-01", "2199-12-31", "2026-03-03"])
async def test_offender_patch_refuses_a_date_of_death_in_the_future(
    clock: Clock, caseworker: User, offender: dict[str, Any], died: str
) -> None:
    response = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"date_of_death": died}
    )

    assert response.status_code == 422
    assert error_fields(response) == ["date_of_death"]
    assert "future" in response.json()["errors"][0]["message"]
    fetched = await caseworker.client.get(f"/offenders/{offender['id']}")
    assert fetched.json() == offender


async def test_offender_patch_takes_a_death_today(
    clock: Clock, caseworker: User, offender: dict[str, Any]
) -> None:
    response = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"date_of_death": "2026-03-02"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["date_of_death"] == "2026-03-02"


@pytest.mark.parametrize("name", ["date_of_death", "sentence_expiry_date", "licence_expiry_date"])
async def test_offender_patch_refuses_a_life_date_before_the_birth(
    caseworker: User, name: str
) -> None:
    created = await new_offender(caseworker.client, date_of_birth="1990-01-01")

    response = await caseworker.client.patch(
        f"/offenders/{created['id']}", json={name: "1980-01-01"}
    )

    assert response.status_code == 422
    assert error_fields(response) == [name]
    assert "before the date of birth (1990-01-01)" in response.json()["detail"]
    fetched = await caseworker.client.get(f"/offenders/{created['id']}")
    assert fetched.json()[name] is None and fetched.json()["revision"] == 1


@pytest.mark.parametrize("name", ["sentence_expiry_date", "licence_expiry_date"])
async def test_offender_patch_takes_an_expiry_date_still_ahead(
    clock: Clock, caseworker: User, offender: dict[str, Any], name: str
) -> None:
    response = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={name: "2031-05-01"}
    )

    assert response.status_code == 200, response.text
    assert response.json()[name] == "2031-05-01"


async def test_offender_patch_refuses_a_birth_moved_after_a_death_held(
    caseworker: User,
) -> None:
    created = await new_offender(caseworker.client, date_of_birth="1960-01-01")
    died = await caseworker.client.patch(
        f"/offenders/{created['id']}", json={"date_of_death": "2001-06-30"}
    )
    assert died.status_code == 200, died.text

    response = await caseworker.client.patch(
        f"/offenders/{created['id']}", json={"date_of_birth": "2005-01-01"}
    )

    assert response.status_code == 422
    assert error_fields(response) == ["date_of_birth"]
    assert "date of death held (2001-06-30)" in response.json()["detail"]


async def test_offender_create_refuses_a_death_before_the_birth(caseworker: User) -> None:
    response = await caseworker.client.post(
        "/offenders",
        json={
            "family_name": "Example",
            "given_names": "Alex",
            "date_of_birth": "1990-01-01",
            "date_of_death": "1980-01-01",
        },
    )

    assert response.status_code == 422
    assert error_fields(response) == ["date_of_death"]


async def test_offender_patch_with_a_stale_if_match_is_412_and_changes_nothing(
    caseworker: User, offender: dict[str, Any]
) -> None:
    moved = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"given_names": "Second"}
    )
    assert moved.json()["revision"] == 2

    stale = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"given_names": "Third"}, headers={"If-Match": '"1"'}
    )
    unchanged = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"given_names": "Second"}, headers={"If-Match": '"1"'}
    )

    assert stale.status_code == unchanged.status_code == 412
    assert stale.headers["content-type"].startswith(PROBLEM_JSON)
    fetched = await caseworker.client.get(f"/offenders/{offender['id']}")
    assert fetched.json()["given_names"] == "Second" and fetched.json()["revision"] == 2
    events = (await caseworker.client.get("/audit")).json()["items"]
    assert [e["action"] for e in events].count("offender.update") == 1


async def test_offender_patch_with_the_current_if_match_applies_and_answers_the_new_etag(
    caseworker: User, offender: dict[str, Any]
) -> None:
    read = await caseworker.client.get(f"/offenders/{offender['id']}")

    changed = await caseworker.client.patch(
        f"/offenders/{offender['id']}",
        json={"given_names": "Second"},
        headers={"If-Match": read.headers["ETag"]},
    )

    assert read.headers["ETag"] == '"1"'
    assert changed.status_code == 200, changed.text
    assert changed.json()["revision"] == 2 and changed.headers["ETag"] == '"2"'


async def test_offender_patch_refuses_a_malformed_if_match(
    caseworker: User, offender: dict[str, Any]
) -> None:
    response = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"given_names": "X"}, headers={"If-Match": "latest"}
    )

    assert response.status_code == 400
    fetched = await caseworker.client.get(f"/offenders/{offender['id']}")
    assert fetched.json() == offender
