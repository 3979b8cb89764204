"""Lists of values over the API: changed by administrators, retired not deleted when in use."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from records.store import Store
from tests.conftest import CORPUS, File, MakeUser, User, upload


async def values_of(client: httpx.AsyncClient, name: str) -> dict[str, dict[str, Any]]:
    found = await client.get(f"/lists/{name}", params={"include_retired": "true"})
    assert found.status_code == 200, found.text
    return {v["code"]: v for v in found.json()["items"]}


async def import_csv(client: httpx.AsyncClient, name: str, raw: bytes, **params: str) -> Any:
    return await client.post(
        f"/lists/{name}.csv", content=raw, headers={"Content-Type": "text/csv"}, params=params
    )


async def test_lists_name_every_list_and_start_with_their_defaults(caseworker: User) -> None:
    listed = await caseworker.client.get("/lists")
    case_types = await caseworker.client.get("/lists/case_types")

    names = [item["name"] for item in listed.json()["items"]]
    assert listed.status_code == 200
    for wanted in (
        "case_types",
        "document_types",
        "establishments",
        "police_forces",
        "probation_regions",
        "mappa_levels",
        "recall_types",
        "legal_hold_reasons",
    ):
        assert wanted in names
    codes = [v["code"] for v in case_types.json()["items"]]
    assert codes == ["recall", "parole_review", "mental_health"]


async def test_admin_adds_and_changes_a_value_and_the_audit_trail_says_so(
    store: Store, make_user: MakeUser
) -> None:
    admin = await make_user("admin", team="hq")

    added = await admin.client.put(
        "/lists/establishments/values/hmp_hull", json={"label": "HMP Hull"}
    )
    changed = await admin.client.put(
        "/lists/establishments/values/hmp_hull", json={"label": "HMP Hull (closed)", "order": 5}
    )
    again = await admin.client.put(
        "/lists/establishments/values/hmp_hull", json={"label": "HMP Hull (closed)"}
    )

    assert added.status_code == 201, added.text
    assert changed.status_code == 200 and changed.json()["label"] == "HMP Hull (closed)"
    assert again.status_code == 200
    listed = (await admin.client.get("/lists/establishments")).json()["items"]
    assert listed[0] == {
        "code": "hmp_hull",
        "label": "HMP Hull (closed)",
        "order": 5,
        "retired": False,
    }
    actions = [
        e["action"]
        async for e in store.db["audit"].find({"target": "list:establishments/hmp_hull"})
    ]
    assert actions == ["list.value.create", "list.value.update"]


async def test_values_are_refused_when_they_are_malformed_or_ambiguous(make_user: MakeUser) -> None:
    admin = await make_user("admin", team="hq")

    no_label = await admin.client.put("/lists/recall_types/values/brand_new", json={})
    bad_code = await admin.client.put("/lists/recall_types/values/Bad-Code", json={"label": "X"})
    formula = await admin.client.put(
        "/lists/recall_types/values/sums", json={"label": '=HYPERLINK("x")'}
    )
    clash = await admin.client.put(
        "/lists/case_types/values/recall_again", json={"label": "Recall"}
    )
    unknown = await admin.client.put("/lists/no_such_list/values/x", json={"label": "X"})

    assert no_label.status_code == 422 and "label" in no_label.json()["detail"]
    assert bad_code.status_code == 422 and "snake_case" in bad_code.json()["detail"]
    assert formula.status_code == 422 and "formula" in formula.json()["detail"]
    assert clash.status_code == 422 and "'recall'" in clash.json()["detail"]
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert "case_types" in unknown.json()["detail"]


async def test_only_administrators_change_lists_and_external_users_read_none(
    make_user: MakeUser, caseworker: User
) -> None:
    manager = await make_user("manager")
    external = await make_user("viewer", team="board", external=True, organisation="Board")
    csv_body = b"code,label\nhmp_hull,HMP Hull\n"

    refused = [
        await manager.client.put("/lists/establishments/values/hmp_hull", json={"label": "X"}),
        await caseworker.client.delete("/lists/establishments/values/hmp_leeds"),
        await import_csv(manager.client, "establishments", csv_body),
        await external.client.get("/lists"),
        await external.client.get("/lists/establishments"),
        await external.client.get("/lists/establishments.csv"),
    ]

    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all(r.json()["detail"] for r in refused)
    assert "hmp_hull" not in await values_of(caseworker.client, "establishments")
    assert "hmp_leeds" in await values_of(caseworker.client, "establishments")


async def test_a_value_in_use_is_retired_not_deleted_and_its_records_keep_it(
    make_user: MakeUser, caseworker: User, case: dict[str, Any], file_document: File
) -> None:
    admin = await make_user("admin", team="hq")
    filed = await file_document("office/testPDF.pdf", doc_type="licence")

    deleted = await admin.client.delete("/lists/case_types/values/recall")
    doc_deleted = await admin.client.delete("/lists/document_types/values/licence")
    retired = await admin.client.put("/lists/case_types/values/recall", json={"retired": True})
    await admin.client.put("/lists/document_types/values/licence", json={"retired": True})
    new_case = await caseworker.client.post(
        "/cases",
        json={
            "offender_id": case["offender_id"],
            "case_type": "recall",
            "title": "Another recall",
            "team": "ppcs",
        },
    )
    old_case = await caseworker.client.get(f"/cases/{case['id']}")
    document = await caseworker.client.get(f"/documents/{filed['id']}")
    retitled = await caseworker.client.patch(
        f"/documents/{filed['id']}",
        json={"title": "Licence, signed", "doc_type": "licence"},
        headers={"If-Match": f'"{document.json()["revision"]}"'},
    )
    pdf = (CORPUS / "office/testPDF.pdf").read_bytes()
    new_document = await upload(caseworker.client, case["id"], pdf, doc_type="licence")
    offered = await caseworker.client.get("/lists/case_types")

    assert deleted.status_code == 409
    assert "cases" in deleted.json()["detail"] and "retire it" in deleted.json()["detail"]
    assert doc_deleted.status_code == 409 and "documents" in doc_deleted.json()["detail"]
    assert retired.status_code == 200 and retired.json()["retired"] is True
    assert new_case.status_code == 422 and "retired" in new_case.json()["detail"]
    assert old_case.json()["case_type"] == "recall"
    assert retitled.status_code == 200, retitled.text
    assert new_document.status_code == 422 and "retired" in new_document.json()["detail"]
    assert "recall" not in [v["code"] for v in offered.json()["items"]]
    assert (await values_of(caseworker.client, "case_types"))["recall"]["retired"] is True


async def test_a_value_no_record_holds_is_deleted(store: Store, make_user: MakeUser) -> None:
    admin = await make_user("admin", team="hq")

    deleted = await admin.client.delete("/lists/establishments/values/hmp_leeds")
    again = await admin.client.delete("/lists/establishments/values/hmp_leeds")

    assert deleted.status_code == 204
    assert again.status_code == 404
    assert "hmp_leeds" not in await values_of(admin.client, "establishments")
    event = await store.db["audit"].find_one({"action": "list.value.delete"})
    assert event is not None and event["target"] == "list:establishments/hmp_leeds"


async def test_an_import_with_bad_rows_reports_every_row_and_imports_nothing(
    store: Store, make_user: MakeUser
) -> None:
    admin = await make_user("admin", team="hq")
    before = await values_of(admin.client, "establishments")
    raw = (
        b"code,label,order,retired\n"
        b"hmp_hull,HMP Hull,,\n"  # line 2: good
        b",No code,,\n"  # line 3: missing code
        b"hmp_lincoln,,,\n"  # line 4: missing label
        b"hmp_hull,HMP Hull again,,\n"  # line 5: duplicate of line 2
        b"hmp_leeds,HMP Leeds,ten,maybe\n"  # line 6: bad order and retired
        b"hmp_york,HMP York\n"  # line 7: too few cells
    )

    answer = await import_csv(admin.client, "establishments", raw)

    assert answer.status_code == 422
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "nothing was imported" in problem["detail"] and "5 of 6 rows" in problem["detail"]
    rows = {row["line"]: row for row in problem["report"]["rows"]}
    assert sorted(rows) == [2, 3, 4, 5, 6, 7]
    assert rows[2]["problems"] == [] and rows[2]["outcome"] == "created"
    assert rows[3]["problems"] == ["code is missing"]
    assert rows[4]["problems"] == ["label is missing"]
    assert "also on line 2" in rows[5]["problems"][0]
    assert len(rows[6]["problems"]) == 2
    assert "cells" in rows[7]["problems"][0]
    assert {e["field"] for e in problem["errors"]} == {f"line {n}" for n in (3, 4, 5, 6, 7)}
    assert problem["report"]["imported"] is False
    assert await values_of(admin.client, "establishments") == before
    assert await store.db["audit"].count_documents({"action": "list.import"}) == 0


async def test_an_import_that_is_not_utf8_says_which_rows_and_imports_nothing(
    make_user: MakeUser,
) -> None:
    admin = await make_user("admin", team="hq")
    before = await values_of(admin.client, "establishments")
    # Saved by a spreadsheet as Windows-1252: "é" is the single byte 0xE9.
    raw = "code,label\nhmp_hull,HMP Hull\nhmp_leeds,HMP Leeds Santé\n".encode("cp1252")

    answer = await import_csv(admin.client, "establishments", raw)

    assert answer.status_code == 422
    problem = answer.json()
    assert "not UTF-8" in problem["detail"] and "line 3" in problem["detail"]
    rows = {row["line"]: row for row in problem["report"]["rows"]}
    assert rows[2]["problems"] == []
    assert "not UTF-8" in rows[3]["problems"][0]
    assert await values_of(admin.client, "establishments") == before


async def test_an_import_refuses_a_wrong_header_and_an_empty_file(make_user: MakeUser) -> None:
    admin = await make_user("admin", team="hq")

    wrong = await import_csv(admin.client, "establishments", b"name,title\nx,X\n")
    empty = await import_csv(admin.client, "establishments", b"\xef\xbb\xbf\n")

    assert wrong.status_code == 422 and "header must be code,label" in wrong.json()["detail"]
    assert wrong.json()["report"]["rows"][0]["problems"] == ["not read: the header is wrong"]
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]


async def test_a_dry_run_says_what_an_import_would_do_and_changes_nothing(
    make_user: MakeUser,
) -> None:
    admin = await make_user("admin", team="hq")
    raw = b"code,label\nhmp_hull,HMP Hull\nhmp_leeds,HMP Leeds (Armley)\nhmp_durham,HMP Durham\n"

    checked = await import_csv(admin.client, "establishments", raw, dry_run="true")

    assert checked.status_code == 200
    report = checked.json()
    assert report["dry_run"] is True and report["imported"] is False
    assert report["counts"] == {"created": 1, "updated": 1, "unchanged": 1, "invalid": 0}
    assert "hmp_hull" not in await values_of(admin.client, "establishments")


async def test_an_export_imports_back_unchanged_and_carries_the_changes_made(
    store: Store, make_user: MakeUser
) -> None:
    admin = await make_user("admin", team="hq")
    await admin.client.put("/lists/recall_types/values/standard", json={"retired": True})
    exported = await admin.client.get("/lists/recall_types.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))

    same = await import_csv(admin.client, "recall_types", exported.content)
    rows[0]["label"] = rows[0]["label"] + ", revised"
    rows.append(
        {"code": "intermittent", "label": "Intermittent recall", "order": "5", "retired": "false"}
    )
    edited = io.StringIO()
    writer = csv.DictWriter(edited, fieldnames=["code", "label", "order", "retired"])
    writer.writeheader()
    writer.writerows(rows)
    changed = await import_csv(admin.client, "recall_types", edited.getvalue().encode())
    again = await admin.client.get("/lists/recall_types.csv")

    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="recall_types.csv"' in exported.headers["content-disposition"]
    assert {"code": "standard", "retired": "true"}.items() <= next(
        r for r in rows if r["code"] == "standard"
    ).items()
    assert same.status_code == 200 and same.json()["counts"]["unchanged"] == len(rows) - 1
    assert same.json()["counts"]["created"] == same.json()["counts"]["updated"] == 0
    assert changed.status_code == 200, changed.text
    assert changed.json()["counts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": len(rows) - 2,
        "invalid": 0,
    }
    reread = {r["code"]: r for r in csv.DictReader(io.StringIO(again.text))}
    assert reread == {r["code"]: r for r in rows}
    assert await store.db["audit"].count_documents({"action": "list.import"}) == 1


async def test_list_labels_with_an_apostrophe_or_a_formula_import_back_unchanged(
    store: Store, make_user: MakeUser
) -> None:
    admin = await make_user("admin", team="hq")
    labels = {"sums": "=SUM(A1)", "quoted": "'=1+2", "twice": "''Twice", "once": "'Once"}
    for code, label in labels.items():
        shown = "Sums" if code == "sums" else label
        put = await admin.client.put(f"/lists/police_forces/values/{code}", json={"label": shown})
        assert put.status_code == 201, put.text
    # The formula, stored by hand past the check that refuses it over the API.
    await store.db["lists"].update_one(
        {"_id": "police_forces", "values.code": "sums"}, {"$set": {"values.$.label": "=SUM(A1)"}}
    )
    before = await values_of(admin.client, "police_forces")
    exported = await admin.client.get("/lists/police_forces.csv")

    imported = await import_csv(admin.client, "police_forces", exported.content)

    assert imported.status_code == 200, imported.text
    assert imported.json()["counts"]["updated"] == imported.json()["counts"]["invalid"] == 0
    after = await values_of(admin.client, "police_forces")
    assert after == before
    assert {code: after[code]["label"] for code in labels} == labels


async def test_list_import_still_refuses_a_new_formula_label(make_user: MakeUser) -> None:
    admin = await make_user("admin", team="hq")
    body = "code,label\nsums,'=1+2\n"

    refused = await import_csv(admin.client, "police_forces", body.encode())

    assert refused.status_code == 422
    assert "must not start with =" in refused.text


async def test_an_export_never_hands_a_spreadsheet_a_formula(
    store: Store, caseworker: User
) -> None:
    # A label stored by hand, past the checks that refuse it over the API.
    await store.db["lists"].update_one(
        {"_id": "police_forces"},
        {"$push": {"values": {"code": "sums", "label": "=1+2", "order": 1, "retired": False}}},
    )

    exported = await caseworker.client.get("/lists/police_forces.csv")

    labels = [r["label"] for r in csv.DictReader(io.StringIO(exported.text))]
    assert "'=1+2" in labels
    assert not [label for label in labels if label[:1] in "=+-@"]
