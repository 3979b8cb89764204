"""CSV imports checked row by row and written all or nothing; the standard reports."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from records.store import Store
from tests.conftest import Clock, MakeUser, User, open_case

GOOD_OFFENDERS = (
    "family_name,given_names,date_of_birth,nomis_number,pnc_number,aliases\n"
    "Okafor,Chidi,1979-03-14,A1234BC,2001/0012345X,Chid Okafor;C. Okafor\n"
    "Byrne,Siobhan Mary,1990-11-02,B2345CD,,\n"
)
BAD_OFFENDERS = (
    "family_name,given_names,date_of_birth,nomis_number\n"
    ",Nobody,1980-01-01,C3456DE\n"  # line 2: no family name
    "Patel,Anil,1985-02-30,D4567EF\n"  # line 3: no such date
    "Lewis,Gareth,1971-07-07,E5678FG\n"  # line 4: fine on its own
    "Lewis,Gwyn,1972-08-08,E5678FG\n"  # line 5: repeats line 4's NOMS number
    "Kowalski,Jan,1966-06-06,12345\n"  # line 6: not a NOMS number
    "Ahmed,Yusuf,1988-08-08,A1234AA,extra\n"  # line 7: a cell too many
)


async def send(user: User, kind: str, text: str | bytes, *, dry_run: bool) -> httpx.Response:
    body = text.encode() if isinstance(text, str) else text
    return await user.client.post(
        f"/imports/{kind}",
        params={"dry_run": "true" if dry_run else "false"},
        content=body,
        headers={"content-type": "text/csv"},
    )


async def offender_count(store: Store) -> int:
    return await store.db["offenders"].count_documents({})


async def test_a_dry_run_reports_every_row_and_writes_nothing_then_the_import_writes_all(
    store: Store, caseworker: User
) -> None:
    before = await offender_count(store)

    checked = await send(caseworker, "offenders", GOOD_OFFENDERS, dry_run=True)
    after_check = await offender_count(store)
    imported = await send(caseworker, "offenders", GOOD_OFFENDERS, dry_run=False)
    again = await send(caseworker, "offenders", GOOD_OFFENDERS, dry_run=True)

    assert checked.status_code == 200, checked.text
    assert [(o["line"], o["outcome"]) for o in checked.json()["outcomes"]] == [
        (2, "ready"),
        (3, "ready"),
    ]
    assert after_check == before
    assert imported.status_code == 201, imported.text
    assert imported.json()["imported"] == 2
    assert await offender_count(store) == before + 2
    chidi = await store.db["offenders"].find_one({"nomis_number": "A1234BC"})
    assert chidi is not None and chidi["aliases"] == ["Chid Okafor", "C. Okafor"]
    assert chidi["pnc_number"] == "2001/0012345X" and chidi["created_by"] == caseworker.username
    events = await store.db["audit"].count_documents({"action": "offender.create"})
    assert events >= 2
    # Imported once: the same file again is refused row by row as already held.
    assert [o["outcome"] for o in again.json()["outcomes"]] == ["refused", "refused"]
    assert "already held" in again.json()["outcomes"][0]["problems"][0]


async def test_bad_rows_are_each_reported_and_nothing_is_imported_until_fixed(
    store: Store, caseworker: User
) -> None:
    before = await offender_count(store)

    checked = await send(caseworker, "offenders", BAD_OFFENDERS, dry_run=True)
    refused = await send(caseworker, "offenders", BAD_OFFENDERS, dry_run=False)

    outcomes = {o["line"]: o for o in checked.json()["outcomes"]}
    assert checked.status_code == 200
    assert "family name is required" in outcomes[2]["problems"]
    assert any("real date" in p for p in outcomes[3]["problems"])
    assert outcomes[4]["outcome"] == "ready"
    assert "NOMS number E5678FG is also on line 4" in outcomes[5]["problems"]
    assert any("A1234AA" in p for p in outcomes[6]["problems"])
    assert any("more cells" in p for p in outcomes[7]["problems"])
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"].startswith("5 of 6 rows have problems, so nothing was imported")
    assert [e["field"] for e in refused.json()["errors"]] == [
        "line 2",
        "line 3",
        "line 5",
        "line 6",
        "line 7",
    ]
    assert await offender_count(store) == before


async def test_a_file_in_the_wrong_encoding_names_its_lines_and_imports_nothing(
    store: Store, caseworker: User
) -> None:
    before = await offender_count(store)
    windows = (
        "family_name,given_names,date_of_birth\n"
        "Núñez,José,1980-01-01\n"
        "Smith,Ann,1981-01-01\n"
        "Müller,Jürgen,1982-01-01\n"
    ).encode("cp1252")

    answer = await send(caseworker, "offenders", windows, dry_run=False)
    checked = await send(caseworker, "offenders", windows, dry_run=True)

    assert answer.status_code == 422
    assert "not UTF-8 text (lines 2, 4)" in answer.json()["detail"]
    assert "CSV UTF-8" in answer.json()["detail"]
    assert checked.status_code == 422
    assert await offender_count(store) == before


async def test_files_that_are_not_the_right_table_are_refused_whole(caseworker: User) -> None:
    unknown = await send(caseworker, "offenders", "surname,forename\nA,B\n", dry_run=True)
    empty = await send(caseworker, "offenders", "", dry_run=True)
    broken = await send(
        caseworker, "offenders", 'family_name,given_names\n"unclosed,x\n', dry_run=True
    )
    not_csv = await caseworker.client.post(
        "/imports/offenders", content=b"{}", headers={"content-type": "application/json"}
    )
    bad_flag = await caseworker.client.post(
        "/imports/offenders",
        params={"dry_run": "yes"},
        content=b"x",
        headers={"content-type": "text/csv"},
    )
    too_big = await send(caseworker, "offenders", b"a" * (2 * 1024 * 1024 + 1), dry_run=True)
    no_kind = await send(caseworker, "documents", GOOD_OFFENDERS, dry_run=True)

    assert unknown.status_code == 422 and "unknown columns 'surname'" in unknown.json()["detail"]
    assert empty.status_code == 422 and "the file is empty" in empty.json()["detail"]
    assert broken.status_code == 422 and "not CSV" in broken.json()["detail"]
    assert not_csv.status_code == 422 and "text/csv" in not_csv.json()["detail"]
    assert bad_flag.status_code == 422 and "dry_run" in bad_flag.json()["detail"]
    assert too_big.status_code == 413
    assert no_kind.status_code == 422 and "offenders or cases" in no_kind.json()["detail"]


async def test_cases_import_finds_offenders_by_noms_number_and_starts_their_workflows(
    store: Store, caseworker: User, make_user: MakeUser
) -> None:
    await make_user("caseworker", team="north")  # a team the caseworker is not in
    await send(caseworker, "offenders", GOOD_OFFENDERS, dry_run=False)
    rows = (
        "nomis_number,case_type,title,team\n"
        "a1234bc,recall,Recall after licence breach,\n"
        "B2345CD,Parole review,Parole review 2027,ppcs\n"
        "Z9999ZZ,recall,Nobody known,\n"  # line 4: no such offender
        "A1234BC,burglary,Unknown type,\n"  # line 5: not a case type
        "A1234BC,recall,Other team's,north\n"  # line 6: not their team
        "B2345CD,Parole review,Parole review 2027,ppcs\n"  # line 7: repeats line 3
    )

    checked = await send(caseworker, "cases", rows, dry_run=True)
    outcomes = {o["line"]: o for o in checked.json()["outcomes"]}
    fixed = "\n".join(rows.splitlines()[:3]) + "\n"
    imported = await send(caseworker, "cases", fixed, dry_run=False)

    assert [outcomes[n]["outcome"] for n in (2, 3)] == ["ready", "ready"]
    assert "no offender has NOMS number Z9999ZZ" in outcomes[4]["problems"]
    assert any("'burglary' is not in the list" in p for p in outcomes[5]["problems"])
    assert any("your own team" in p for p in outcomes[6]["problems"])
    assert "the same case is also on line 3" in outcomes[7]["problems"]
    assert imported.status_code == 201, imported.text
    recall = await store.db["cases"].find_one({"title": "Recall after licence breach"})
    assert recall is not None and recall["state"] == "received" and recall["team"] == "ppcs"
    first = await store.db["tasks"].find_one({"case_id": recall["_id"]})
    assert first is not None and first["title"] == "Assess the recall request"


async def test_only_internal_writers_import(store: Store, make_user: MakeUser) -> None:
    viewer = await make_user("viewer")
    external = await make_user("viewer", team="board", external=True, organisation="Board")
    before = await offender_count(store)

    for user in (viewer, external):
        answer = await send(user, "offenders", GOOD_OFFENDERS, dry_run=False)
        assert answer.status_code == 403, user.username
    assert await offender_count(store) == before


def table(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


async def revoke(user: User, case_id: str) -> None:
    for body in ({"transition": "assess"}, {"transition": "revoke", "date": "2026-03-02"}):
        moved = await user.client.post(f"/cases/{case_id}/transitions", json=body)
        assert moved.status_code == 200, moved.text


async def test_standard_reports_count_only_the_cases_the_reader_may_see(
    clock: Clock,
    caseworker: User,
    make_user: MakeUser,
    offender: dict[str, Any],
) -> None:
    manager_of_ppcs = await make_user("manager")
    recall = await open_case(caseworker.client, offender["id"], title="=cmd|' /C calc'!A0")
    late = await open_case(caseworker.client, offender["id"], title="Late recall")
    await revoke(caseworker, recall["id"])
    clock.advance(hours=30)  # the other assessment is now missed
    await revoke(caseworker, late["id"])
    stranger = await make_user("manager", team="north")
    external = await make_user("viewer", team="board", external=True, organisation="Board")

    by_state = table(await manager_of_ppcs.client.get("/reports/cases-by-state.csv"))
    deadlines = table(await manager_of_ppcs.client.get("/reports/deadlines-by-month.csv"))
    awaited = table(await manager_of_ppcs.client.get("/reports/documents-awaited.csv"))
    listed = table(await manager_of_ppcs.client.get("/reports/open-cases.csv"))
    theirs = table(await stranger.client.get("/reports/cases-by-state.csv"))
    index = await manager_of_ppcs.client.get("/reports")
    unknown = await manager_of_ppcs.client.get("/reports/everything.csv")
    outside = await external.client.get("/reports/open-cases.csv")

    assert by_state == [{"team": "ppcs", "case_type": "recall", "state": "revoked", "cases": "2"}]
    assert deadlines == [
        {"team": "ppcs", "month": "2026-03", "met": "1", "missed": "1", "open_past_due": "0"}
    ]
    assert {r["case_id"] for r in awaited} == {recall["id"], late["id"]}
    assert all(r["awaiting"] for r in awaited)
    assert {r["case"] for r in listed} == {"'=cmd|' /C calc'!A0", "Late recall"}  # never a formula
    assert theirs == []
    assert [r["name"] for r in index.json()["items"]][:2] == [
        "cases-by-state",
        "deadlines-by-month",
    ]
    assert unknown.status_code == 404
    assert outside.status_code == 403
