"""The schedule: every default rule, the most specific rule winning, rules files, bad rules."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from bson import ObjectId

from records.store import Store
from retention import current, sweep
from server.sweep import run_once
from tests.conftest import Clock, File, User, open_case
from tests.retention.conftest import add_rule, evaluated


async def disposition(store: Store, document: dict[str, Any]) -> dict[str, Any]:
    found = await store.db["documents"].find_one({"_id": ObjectId(document["id"])})
    assert found is not None
    return await current.disposition_of(store, found)


async def test_recall_and_parole_cases_are_reviewed_seven_years_after_sentence_expiry(
    store: Store, caseworker: User, offender: dict[str, Any], file_document: File
) -> None:
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"sentence_expiry_date": "2020-01-31"}
    )
    parole = await open_case(caseworker.client, offender["id"], case_type="parole_review")
    recalled = await file_document()
    reviewed = await file_document(case_id=parole["id"])

    await evaluated(store)

    for document in (recalled, reviewed):
        found = await disposition(store, document)
        assert found["rule"] == "recall-parole-sentence-expiry"
        assert found["action"] == "review"
        assert found["due"].date().isoformat() == "2027-01-31"


async def test_restricted_patients_are_reviewed_twenty_years_after_absolute_discharge(
    store: Store, caseworker: User, offender: dict[str, Any], file_document: File
) -> None:
    patient = await open_case(caseworker.client, offender["id"], case_type="mental_health")
    document = await file_document(case_id=patient["id"])
    for transition, day in (
        ("list_tribunal", "2026-01-05"),
        ("absolutely_discharge", "2026-02-10"),
    ):
        moved = await caseworker.client.post(
            f"/cases/{patient['id']}/transitions", json={"transition": transition, "date": day}
        )
        assert moved.status_code == 200, moved.text

    await evaluated(store)

    found = await disposition(store, document)
    assert found["rule"] == "restricted-patient-discharge"
    assert found["due"].date().isoformat() == "2046-02-10"


async def test_records_of_a_person_who_died_are_destroyed_twenty_years_after(
    store: Store,
    caseworker: User,
    records_manager: User,
    offender: dict[str, Any],
    file_document: File,
) -> None:
    document = await file_document()
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"date_of_death": "2001-06-30"}
    )

    await evaluated(store)

    found = await disposition(store, document)
    assert (found["rule"], found["action"]) == ("deceased", "destroy")
    assert found["due"].date().isoformat() == "2021-06-30"

    # With a sentence expiry date as well, the recall rule is the more specific: it is shown.
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"sentence_expiry_date": "2010-01-01"}
    )
    assert await evaluated(store) == 1
    explained = (await records_manager.client.get(f"/retention/records/{document['id']}")).json()
    assert explained["governing_rule"] == "recall-parole-sentence-expiry"
    assert [m["rule"] for m in explained["matching_rules"]] == [
        "recall-parole-sentence-expiry",
        "deceased",
    ]
    assert "most specific" in explained["why"]


async def test_audit_events_are_kept_two_years_by_the_audit_rule(
    store: Store, clock: Clock, caseworker: User, offender: dict[str, Any], tmp_path: Path
) -> None:
    assert await sweep.audit_keep_days(store, default=3650) == 730
    first = await store.db["audit"].count_documents({})
    clock.advance(days=800)
    await caseworker.client.patch(f"/offenders/{offender['id']}", json={"aliases": ["Al"]})

    failed = await run_once(sweep.jobs(store, tmp_path, audit_default_days=3650))

    assert failed == []

    kept = await store.db["audit"].count_documents({"action": {"$ne": "audit.expire"}})
    assert first > 0 and kept < first
    assert await store.db["audit"].find_one({"action": "audit.expire"}) is not None


async def test_of_two_audit_rules_the_longer_keeps_the_events(store: Store, admin: User) -> None:
    await add_rule(
        admin,
        code="audit-longer",
        record_class="audit",
        trigger="event_date",
        amount=3,
        unit="years",
    )

    kept = await sweep.audit_keep_days(store, default=200)

    assert kept == 1096


async def test_most_specific_rule_wins_and_changes_follow_on_the_next_run(
    store: Store, admin: User, caseworker: User, offender: dict[str, Any], file_document: File
) -> None:
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"sentence_expiry_date": "2020-01-31"}
    )
    licence = await file_document(doc_type="licence", document_date="2019-05-01")
    other = await file_document(doc_type="other")
    rule = await add_rule(
        admin, code="licences", doc_types=["licence"], trigger="document_date", amount=3
    )
    assert await evaluated(store) == 1, "one case, its record written once for both documents"
    assert (await disposition(store, licence))["rule"] == "licences"
    assert (await disposition(store, other))["rule"] == "recall-parole-sentence-expiry"
    assert await evaluated(store) == 0

    changed = await admin.client.put(
        f"/retention/rules/{rule['id']}",
        json={**rule, "amount": 5},
    )
    assert changed.status_code == 200, changed.text
    assert await evaluated(store) == 1
    assert (await disposition(store, licence))["due"].date().isoformat() == "2024-05-01"

    deleted = await admin.client.delete(f"/retention/rules/{rule['id']}")
    assert deleted.status_code == 204
    assert await evaluated(store) == 1
    assert (await disposition(store, licence))["rule"] == "recall-parole-sentence-expiry"


async def test_rules_export_to_csv_and_import_back(admin: User, records_manager: User) -> None:
    await add_rule(admin, code="formula", title='=HYPERLINK("x")', trigger="last_activity")
    exported = await records_manager.client.get("/retention/rules.csv")
    assert exported.status_code == 200
    assert "'=HYPERLINK" in exported.text, "a formula is quoted for spreadsheets"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    for row in rows:
        if row["code"] == "recall-parole-sentence-expiry":
            row["amount"] = "8"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    changed = out.getvalue()

    imported = await admin.client.post(
        "/retention/rules.csv", content=changed.encode(), headers={"Content-Type": "text/csv"}
    )

    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": 0, "changed": 1, "unchanged": 4}
    listed = (await records_manager.client.get("/retention/rules")).json()["items"]
    titles = {r["code"]: r for r in listed}
    assert titles["formula"]["title"] == '=HYPERLINK("x")'
    assert titles["recall-parole-sentence-expiry"]["amount"] == 8


async def test_bad_rules_files_are_refused_naming_each_row(admin: User) -> None:
    body = (
        "code,title,trigger,amount,unit,action\n"
        "good,Fine,document_date,3,years,review\n"
        "bad,Unknown trigger,date_of_arrest,3,years,review\n"
        "worse,Bad unit,document_date,three,fortnights,shred\n"
    )

    refused = await admin.client.post(
        "/retention/rules.csv", content=body.encode(), headers={"Content-Type": "text/csv"}
    )

    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "row 3: 'date_of_arrest' is not a trigger" in detail
    assert "row 4: must be one of days, months, years, not 'fortnights'" in detail
    assert "row 4: must be one of review, destroy, transfer, not 'shred'" in detail
    fields = [e["field"] for e in refused.json()["errors"]]
    assert fields == ["trigger", "unit", "amount", "action"]
    listed = (await admin.client.get("/retention/rules")).json()["items"]
    assert "good" not in [r["code"] for r in listed], "all or nothing"

    headless = await admin.client.post(
        "/retention/rules.csv", content=b"just,some,words\n", headers={"Content-Type": "text/csv"}
    )
    assert headless.status_code == 422 and "missing code, title" in headless.json()["detail"]


async def test_bad_rules_and_dates_get_clear_errors(admin: User, records_manager: User) -> None:
    unknown = await admin.client.post(
        "/retention/rules",
        json={
            "code": "x",
            "title": "X",
            "trigger": "sunrise",
            "amount": 1,
            "unit": "days",
            "action": "review",
        },
    )
    assert unknown.status_code == 422
    assert "'sunrise' is not a trigger" in unknown.json()["detail"]
    short_audit = await admin.client.post(
        "/retention/rules",
        json={
            "code": "audit-short",
            "title": "Audit for a month",
            "record_class": "audit",
            "trigger": "event_date",
            "amount": 30,
            "unit": "days",
            "action": "destroy",
        },
    )
    assert short_audit.status_code == 422
    assert "kept at least 183 days" in short_audit.json()["detail"]
    by_manager = await records_manager.client.post("/retention/rules", json={})
    assert by_manager.status_code == 403

    bad_day = await records_manager.client.get("/retention/queue", params={"as_of": "2026-02-30"})
    assert bad_day.status_code == 422
    assert bad_day.json()["errors"] == [
        {"field": "as_of", "message": "must be a real date written YYYY-MM-DD"}
    ]
    retained = await records_manager.client.post(
        "/retention/decisions",
        json={"document_ids": ["nope"], "decision": "retain", "until": "tomorrow", "reason": "r"},
    )
    assert retained.status_code == 422 and "until" in retained.json()["detail"]
