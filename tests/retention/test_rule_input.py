"""Rules as administrators send them: round trips, what is refused, and how it is said."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from records.store import Store
from tests.conftest import MakeUser, Ppud, User
from tests.retention.conftest import add_rule

RULE = {
    "code": "letters",
    "title": "Letters",
    "trigger": "document_date",
    "amount": 6,
    "unit": "years",
    "action": "destroy",
}


async def import_file(admin: User, body: str | bytes) -> httpx.Response:
    raw = body.encode() if isinstance(body, str) else body
    return await admin.client.post(
        "/retention/rules.csv", content=raw, headers={"Content-Type": "text/csv"}
    )


async def revisions(store: Store) -> dict[str, int]:
    return {r["code"]: r["revision"] async for r in store.db["retention_rules"].find()}


async def last_import(store: Store) -> dict[str, Any]:
    found = await store.db["audit"].find_one(
        {"action": "retention.rules.import"}, sort=[("seq", -1)]
    )
    assert found is not None
    return dict(found["detail"])


def names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def messages(refused: httpx.Response) -> list[str]:
    assert refused.status_code == 422, refused.text
    return [f"{e['field']}: {e['message']}" for e in refused.json()["errors"]]


# --- round trips ---------------------------------------------------------------


async def test_rules_export_imported_unchanged_changes_nothing(
    store: Store, admin: User, records_manager: User
) -> None:
    await add_rule(
        admin, code="licences", doc_types=["licence", "charge_sheet"], trigger="document_date"
    )
    before = await revisions(store)
    exported = await records_manager.client.get("/retention/rules.csv")

    imported = await import_file(admin, exported.content)

    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": 0, "changed": 0, "unchanged": 5}
    assert await revisions(store) == before
    assert "parole_review;recall" in exported.text


@pytest.mark.parametrize("title", ["'=already", "''twice", "'quoted", "=SUM(1)", "'"])
async def test_rules_titled_with_an_apostrophe_or_a_formula_import_back_unchanged(
    store: Store, admin: User, title: str
) -> None:
    await add_rule(admin, code="quoted", title=title, trigger="last_activity")
    before = await revisions(store)
    exported = await admin.client.get("/retention/rules.csv")

    imported = await import_file(admin, exported.content)

    assert imported.json() == {"created": 0, "changed": 0, "unchanged": 5}
    assert await revisions(store) == before
    listed = (await admin.client.get("/retention/rules")).json()["items"]
    assert next(r for r in listed if r["code"] == "quoted")["title"] == title


async def test_rules_stored_in_another_order_import_back_unchanged(
    store: Store, admin: User
) -> None:
    # As the default schedule was seeded before lists were kept sorted.
    await store.db["retention_rules"].update_one(
        {"code": "recall-parole-sentence-expiry"},
        {"$set": {"case_types": ["recall", "parole_review", "recall"]}},
    )
    exported = await admin.client.get("/retention/rules.csv")

    imported = await import_file(admin, exported.content)

    assert imported.json() == {"created": 0, "changed": 0, "unchanged": 4}
    listed = (await admin.client.get("/retention/rules")).json()["items"]
    recall = next(r for r in listed if r["code"] == "recall-parole-sentence-expiry")
    assert recall["case_types"] == ["parole_review", "recall"]
    assert recall["revision"] == 1


async def test_rules_import_audit_names_the_codes_created_and_changed(
    store: Store, admin: User
) -> None:
    body = (
        "code,title,case_types,trigger,amount,unit,action\n"
        "recall-parole-sentence-expiry,Recall and parole casework,recall;parole_review,"
        "sentence_expiry_date,8,years,review\n"
        "deceased,Records of a person who has died,,date_of_death,20,years,destroy\n"
        "licences,Licences,,document_date,3,years,review\n"
    )

    imported = await import_file(admin, body)

    assert imported.json() == {"created": 1, "changed": 1, "unchanged": 1}
    assert await last_import(store) == {
        "created": ["licences"],
        "changed": ["recall-parole-sentence-expiry"],
        "unchanged": 1,
    }


async def test_rules_put_back_as_shown_is_accepted(admin: User) -> None:
    shown = await add_rule(admin, **RULE)

    put = await admin.client.put(f"/retention/rules/{shown['id']}", json=shown)

    assert put.status_code == 200, put.text
    assert put.json()["amount"] == 6


async def test_rules_replaced_must_be_sent_whole(admin: User) -> None:
    shown = await add_rule(admin, **RULE, doc_types=["licence"])
    url = f"/retention/rules/{shown['id']}"
    partial = {k: v for k, v in shown.items() if k not in ("doc_types", "after_transfer")}

    missing = await admin.client.put(url, json=partial)
    nulled = await admin.client.put(url, json={**shown, "doc_types": None})
    stored = await admin.client.get(url)

    assert missing.status_code == 422
    assert sorted(messages(missing)) == [
        "after_transfer: is missing: a rule is replaced whole, so send every field",
        "doc_types: is missing: a rule is replaced whole, so send every field",
    ]
    assert messages(nulled) == [
        "doc_types: must be a list of codes ([] for no condition), not null"
    ]
    assert stored.json()["doc_types"] == ["licence"] and stored.json()["revision"] == 1


async def test_rules_replaced_at_a_stale_revision_change_nothing(admin: User) -> None:
    shown = await add_rule(admin, **RULE)
    url = f"/retention/rules/{shown['id']}"
    first = await admin.client.put(url, json={**shown, "amount": 7})

    second = await admin.client.put(url, json={**shown, "amount": 9})
    by_header = await admin.client.put(
        url, json={**shown, "revision": None, "amount": 9}, headers={"If-Match": '"1"'}
    )
    garbage = [
        await admin.client.put(url, json={**shown, "revision": bad}) for bad in ("abc", 0, True)
    ]
    stored = await admin.client.get(url)

    assert first.status_code == 200 and first.json()["revision"] == 2
    assert second.status_code == 412 and "changed since revision 1" in second.json()["detail"]
    assert by_header.status_code == 412
    assert [r.status_code for r in garbage] == [422, 422, 422]
    assert "revision: must be the revision read" in garbage[0].json()["detail"]
    assert stored.json()["amount"] == 7 and stored.json()["revision"] == 2
    # A current If-Match does not excuse a stale revision in the body, nor the reverse.
    mixed = await admin.client.put(url, json={**shown, "amount": 9}, headers={"If-Match": '"2"'})
    assert mixed.status_code == 412 and "since revision 1" in mixed.json()["detail"]


async def test_rules_sent_back_unchanged_change_nothing(store: Store, admin: User) -> None:
    shown = await add_rule(admin, **RULE)

    same = await admin.client.put(f"/retention/rules/{shown['id']}", json=shown)

    assert same.status_code == 200 and same.json()["revision"] == 1
    assert await store.db["audit"].count_documents({"action": "retention.rule.update"}) == 0


async def test_rules_with_a_trigger_field_too_long_are_refused(admin: User) -> None:
    refused = await admin.client.post(
        "/retention/rules", json={**RULE, "trigger": "case." + "a" * 5000}
    )

    assert messages(refused) == ["trigger: is longer than 200 characters"]


# --- what a rule may name ----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("case_types", ["recall", "nosuchtype"], "'nosuchtype' is not in the list case_types"),
        ("doc_types", ["nope", "nada"], "'nada', 'nope' are not in the list document_types"),
    ],
)
async def test_rules_covering_values_no_list_holds_are_refused(
    admin: User, field: str, value: list[str], message: str
) -> None:
    refused = await admin.client.post("/retention/rules", json={**RULE, field: value})

    assert messages(refused) == [f"{field}: {message}"]


async def test_rules_may_cover_retired_values(admin: User) -> None:
    retired = await admin.client.put(
        "/lists/document_types/values/charge_sheet", json={"retired": True}
    )
    assert retired.status_code == 200, retired.text

    made = await admin.client.post("/retention/rules", json={**RULE, "doc_types": ["charge_sheet"]})

    assert made.status_code == 201, made.text


async def test_a_list_value_a_rule_covers_is_retired_not_deleted(admin: User) -> None:
    made = await admin.client.post("/retention/rules", json={**RULE, "doc_types": ["charge_sheet"]})
    assert made.status_code == 201, made.text

    deleted = await admin.client.delete("/lists/document_types/values/charge_sheet")
    retired = await admin.client.put(
        "/lists/document_types/values/charge_sheet", json={"retired": True}
    )

    assert deleted.status_code == 409
    assert "retention rules" in deleted.json()["detail"]
    assert retired.status_code == 200, retired.text


async def test_a_case_type_a_rule_covers_is_not_deleted(admin: User) -> None:
    added = await admin.client.put("/lists/case_types/values/extradition", json={"label": "X"})
    assert added.status_code == 201, added.text
    made = await admin.client.post("/retention/rules", json={**RULE, "case_types": ["extradition"]})
    assert made.status_code == 201, made.text

    deleted = await admin.client.delete("/lists/case_types/values/extradition")
    removed = await admin.client.delete(f"/retention/rules/{made.json()['id']}")
    deleted_after = await admin.client.delete("/lists/case_types/values/extradition")

    assert deleted.status_code == 409 and "retention rules" in deleted.json()["detail"]
    assert removed.status_code == 204, removed.text
    assert deleted_after.status_code == 204, deleted_after.text


async def test_a_rule_and_the_deletion_of_its_value_sent_together_never_both_succeed(
    admin: User,
) -> None:
    for attempt in range(6):
        code = f"race{attempt}"
        added = await admin.client.put(f"/lists/document_types/values/{code}", json={"label": code})
        assert added.status_code == 201, added.text

        made, deleted = await asyncio.gather(
            admin.client.post("/retention/rules", json={**RULE, "code": code, "doc_types": [code]}),
            admin.client.delete(f"/lists/document_types/values/{code}"),
        )

        assert sorted([made.status_code, deleted.status_code]) in ([201, 409], [204, 422]), (
            made.text,
            deleted.text,
        )
        listed = await admin.client.get("/lists/document_types", params={"include_retired": "true"})
        still_listed = code in {v["code"] for v in listed.json()["items"]}
        assert still_listed == (made.status_code == 201)


async def test_rules_files_covering_values_no_list_holds_name_the_row(admin: User) -> None:
    body = (
        "code,title,case_types,trigger,amount,unit,action\nx,X,recal,case_closed,3,years,review\n"
    )

    refused = await import_file(admin, body)

    assert messages(refused) == ["case_types: row 2: 'recal' is not in the list case_types"]


@pytest.mark.parametrize(
    "trigger",
    [
        "offender.family_name",
        "offender.nomis_number",
        "offender.aliases",
        "case.title",
        "case.case_type",
        "case.offender_id",
        "case.workflow.version",
        "case.last_event_date.label",
    ],
)
async def test_rules_triggered_by_a_field_that_holds_no_date_are_refused(
    admin: User, trigger: str
) -> None:
    refused = await admin.client.post("/retention/rules", json={**RULE, "trigger": trigger})

    [message] = messages(refused)
    assert message.startswith(f"trigger: {trigger!r} is not a date")


async def test_rules_triggered_by_a_field_holding_dates_by_name_say_which_to_use(
    admin: User,
) -> None:
    refused = await admin.client.post(
        "/retention/rules", json={**RULE, "trigger": "case.state_dates"}
    )

    assert messages(refused) == [
        "trigger: 'case.state_dates' holds dates by name, not a date: use case.state_dates.<state>"
    ]


@pytest.mark.parametrize(
    "trigger",
    ["case.hearing_date", "offender.tariff.expiry", "case.last_event_date.date", "case.created_at"],
)
async def test_rules_triggered_by_other_case_or_offender_fields_are_accepted(
    admin: User, trigger: str
) -> None:
    made = await admin.client.post("/retention/rules", json={**RULE, "trigger": trigger})

    assert made.status_code == 201, made.text


# --- types and amounts -----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "5", "amount: must be a number, not the text '5'"),
        ("amount", 5.5, "amount: must be a whole number of years, 1 or more"),
        ("amount", 0.0, "amount: must be a whole number of years, 1 or more"),
        ("amount", True, "amount: must be a whole number of years, 1 or more"),
        ("case_types", "recall", 'case_types: must be a list of codes, as ["recall"], not text'),
        ("doc_types", [1], "doc_types: must be a list of codes"),
    ],
)
async def test_rules_sent_as_json_with_a_field_of_the_wrong_type_are_refused(
    admin: User, field: str, value: Any, message: str
) -> None:
    refused = await admin.client.post("/retention/rules", json={**RULE, field: value})

    assert messages(refused) == [message]


async def test_rules_sent_as_json_with_a_whole_amount_written_as_a_fraction_are_accepted(
    admin: User,
) -> None:
    made = await admin.client.post("/retention/rules", json={**RULE, "amount": 2.0})

    assert made.status_code == 201, made.text
    assert made.json()["amount"] == 2
    assert isinstance(made.json()["amount"], int)


@pytest.mark.parametrize(
    ("action", "unit"), [("destroy", "days"), ("transfer", "months"), ("review", "years")]
)
async def test_rules_of_no_time_at_all_are_refused(admin: User, action: str, unit: str) -> None:
    refused = await admin.client.post(
        "/retention/rules", json={**RULE, "action": action, "amount": 0, "unit": unit}
    )

    assert messages(refused) == [f"amount: must be a whole number of {unit}, 1 or more"]


async def test_rules_files_read_numbers_and_lists_from_their_cells(
    store: Store, admin: User
) -> None:
    body = (
        "code,title,doc_types,trigger,amount,unit,action\n"
        "licences,Licences,licence; charge_sheet;licence,document_date,3,years,review\n"
        "never,Never,,document_date,0,days,destroy\n"
    )

    refused = await import_file(admin, body)
    imported = await import_file(admin, body.rsplit("never", 1)[0])

    assert messages(refused) == ["amount: row 3: must be a whole number of days, 1 or more"]
    assert imported.json() == {"created": 1, "changed": 0, "unchanged": 0}
    stored = await store.db["retention_rules"].find_one({"code": "licences"})
    assert stored is not None
    assert (stored["amount"], stored["doc_types"]) == (3, ["charge_sheet", "licence"])


# --- messages ------------------------------------------------------------------------


async def test_rules_files_with_a_quote_never_closed_say_so(admin: User) -> None:
    body = (
        "code,title,trigger,amount,unit,action\n"
        "good,Fine,document_date,3,years,review\n"
        'bad,"Unclosed title,document_date,3,years,review\n'
        "later,Fine,document_date,3,years,review\n"
    )

    refused = await import_file(admin, body)

    assert messages(refused) == ["row: row 3 (line 3): a quote is not closed"]


async def test_rules_files_with_a_quote_closed_on_a_later_line_say_so(admin: User) -> None:
    body = (
        "code,title,trigger,amount,unit,action\n"
        'bad,"Unclosed title,document_date,3,years,review\n'
        'later,Fine",document_date,3,years,review\n'
    )

    refused = await import_file(admin, body)

    assert messages(refused) == [
        "row: row 2: a quote is not closed: a cell runs from line 2 to line 3"
    ]


async def test_rules_files_with_a_quote_closed_inside_a_cell_say_so(admin: User) -> None:
    body = 'code,title,trigger,amount,unit,action\nbad,"Half"quoted,document_date,3,years,review\n'

    refused = await import_file(admin, body)

    [message] = messages(refused)
    assert message.startswith("row: row 2 (line 2): a quote is closed before the end of its cell")


async def test_rules_titled_with_a_control_character_are_refused_saying_so(admin: User) -> None:
    refused = await admin.client.post("/retention/rules", json={**RULE, "title": "A\x00b"})
    too_long = await admin.client.post("/retention/rules", json={**RULE, "title": "A" * 201})

    assert messages(refused) == ["title: must not contain control characters"]
    assert messages(too_long) == ["title: must be at most 200 characters"]


# --- the command -------------------------------------------------------------------


async def test_cli_export_rules_where_nothing_can_be_written_fails_in_one_line(
    ppud: Ppud, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()

    missing = await ppud("retention", "export-rules", "--out", str(folder / "no" / "x.csv"))
    into_folder = await ppud("retention", "export-rules", "--out", str(folder))

    assert missing.returncode == into_folder.returncode == 1
    assert missing.stderr.splitlines() == [
        f"ppud: there is no folder {str(folder / 'no')!r} to write the CSV file in"
    ]
    assert into_folder.stderr.splitlines() == [
        f"ppud: {str(folder)!r} exists and is not a file; name a CSV file to write, "
        "or - for standard output"
    ]
    assert [n for n in names_in(tmp_path) if n.startswith(".")] == [], "nothing half-written"


async def test_cli_export_rules_to_a_dash_prints_them(ppud: Ppud, tmp_path: Path) -> None:
    printed = await ppud("retention", "export-rules", "--out", "-", cwd=tmp_path)

    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("code,title,record_class")
    assert names_in(tmp_path) == [], "no file named -"


async def test_cli_export_rules_through_a_symlink_replaces_the_file_it_points_at(
    ppud: Ppud, tmp_path: Path
) -> None:
    real = tmp_path / "exports" / "rules.csv"
    real.parent.mkdir()
    real.write_text("an older export")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    dangling = tmp_path / "next.csv"
    dangling.symlink_to(tmp_path / "exports" / "next.csv")

    written = await ppud("retention", "export-rules", "--out", str(link))
    started = await ppud("retention", "export-rules", "--out", str(dangling))

    assert written.returncode == started.returncode == 0, written.stderr + started.stderr
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text().startswith("code,title,record_class")
    assert dangling.is_symlink() and dangling.read_text() == real.read_text()
    assert names_in(real.parent) == ["next.csv", "rules.csv"]


async def test_cli_export_rules_refuses_what_is_not_a_file_and_leaves_it_be(
    ppud: Ppud, tmp_path: Path
) -> None:
    # A FIFO stands for any device: nothing under /dev is put at risk if this fails.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "to-pipe"
    link.symlink_to(fifo)

    refused = [await ppud("retention", "export-rules", "--out", str(t)) for t in (fifo, link)]

    for result, target in zip(refused, (fifo, link), strict=True):
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"ppud: {str(target)!r} exists and is not a file; name a CSV file to write, "
            "or - for standard output"
        ]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert link.is_symlink() and link.resolve() == fifo
    assert names_in(tmp_path) == ["pipe", "to-pipe"]


async def test_cli_export_rules_into_a_folder_taking_no_new_file_fails_in_one_line(
    ppud: Ppud,
) -> None:
    # /proc/version can be opened for writing by root, but no file can be made beside it.
    refused = await ppud("retention", "export-rules", "--out", "/proc/version")

    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("ppud: cannot write ")
    assert "'/proc'" in line


async def test_cli_export_rules_writes_the_whole_file_and_nothing_beside_it(
    ppud: Ppud, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "rules.csv"
    out.write_text("an older export")

    written = await ppud("retention", "export-rules", "--out", str(out))

    assert written.returncode == 0, written.stderr
    assert out.read_text().startswith("code,title,record_class")
    assert names_in(folder) == ["rules.csv"]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask, "as any file the user writes"


async def test_cli_records_manager_right_changed_only_once_and_audited_once(
    store: Store, ppud: Ppud, make_user: MakeUser
) -> None:
    user = await make_user("manager")

    never = await ppud("retention", "revoke", user.username)
    given = await ppud("retention", "grant", user.username)
    again = await ppud("retention", "grant", user.username)

    assert never.stdout.strip() == f"{user.username} is not a records manager"
    assert given.stdout.strip() == f"{user.username} is now a records manager"
    assert again.stdout.strip() == f"{user.username} is already a records manager"
    assert [r.returncode for r in (never, given, again)] == [0, 0, 0]
    events = store.db["audit"].find({"action": {"$regex": "^retention.records_manager"}})
    assert [e["action"] async for e in events] == ["retention.records_manager.grant"]
