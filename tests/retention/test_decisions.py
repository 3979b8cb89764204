"""Decisions checked against the schedule as it stands, one per proposal; who sees holds."""

from __future__ import annotations

import asyncio
from typing import Any

from bson import ObjectId

from records.store import Store
from retention import destroy
from tests.conftest import Clock, File, Ppud, User, open_case
from tests.retention.conftest import (
    add_rule,
    decide,
    due_documents,
    evaluated,
    queue_ids,
    stop_case,
    wrong_codes,
)


async def proposal_of(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    case: Any,
    file_document: File,
    proposer: User,
) -> tuple[dict[str, Any], str]:
    document = (await due_documents(store, clock, admin, caseworker, case, file_document, count=1))[
        0
    ]
    proposed = await decide(proposer.client, [document["id"]], "destroy", reason="Past its time")
    assert proposed.status_code == 200, proposed.text
    return document, str(proposed.json()["id"])


async def test_approval_is_refused_once_the_record_is_no_longer_due(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    document, proposal = await proposal_of(
        store, clock, admin, caseworker, case, file_document, records_manager
    )
    rule = await store.db["retention_rules"].find_one({"code": "recall-closed"})
    assert rule is not None
    removed = await admin.client.delete(f"/retention/rules/{rule['_id']}")
    assert removed.status_code == 204, removed.text
    await evaluated(store)

    approval = await second_manager.client.post(
        f"/retention/proposals/{proposal}/approval", json={"code": second_manager.totp()}
    )

    assert approval.status_code == 409, approval.text
    assert "no longer due" in approval.json()["detail"]
    assert "'Report 0'" in approval.json()["detail"]
    assert await store.db["retention_runs"].count_documents({}) == 0
    got = await caseworker.client.get(f"/documents/{document['id']}/content")
    assert got.status_code == 200
    rejected = await second_manager.client.post(
        f"/retention/proposals/{proposal}/rejection", json={"reason": "Rule withdrawn"}
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["rejection_reason"] == "Rule withdrawn"
    assert rejected.json()["rejected_by"] == second_manager.username


async def test_a_corrected_date_of_death_stops_the_approval(
    store: Store,
    clock: Clock,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    offender: dict[str, Any],
    case: dict[str, Any],
    file_document: File,
) -> None:
    document = await file_document(title="Licence")
    entered = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"date_of_death": "2001-01-01"}
    )
    assert entered.status_code == 200, entered.text
    await evaluated(store)
    proposed = await decide(records_manager.client, [document["id"]], "destroy")
    assert proposed.status_code == 200, proposed.text

    # The death was entered against the wrong person and is taken out again.
    corrected = await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"date_of_death": None}
    )
    assert corrected.status_code == 200, corrected.text
    await evaluated(store)
    approval = await second_manager.client.post(
        f"/retention/proposals/{proposed.json()['id']}/approval",
        json={"code": second_manager.totp()},
    )

    assert approval.status_code == 409 and "no longer due" in approval.json()["detail"]
    assert await store.db["documents"].count_documents({"_id": ObjectId(document["id"])}) == 1


async def test_a_run_taken_up_after_the_schedule_changed_keeps_the_record(
    store: Store,
    clock: Clock,
    settings: Any,
    admin: User,
    caseworker: User,
    records_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    document, _ = await proposal_of(
        store, clock, admin, caseworker, case, file_document, records_manager
    )
    oid = ObjectId(document["id"])
    # Approved before a restart; the rule is withdrawn before the run is taken up.
    run = {"_id": ObjectId(), "proposed_by": "a", "approved_by": "b"}
    await store.db["documents"].update_one(
        {"_id": oid}, {"$set": {"review.state": "approved", "review.run_id": run["_id"]}}
    )
    await store.db["retention_rules"].delete_one({"code": "recall-closed"})
    await evaluated(store)

    outcome = await destroy.destroy_one(store, settings.data_dir, oid, run)

    assert outcome.result == "blocked" and "no longer due" in outcome.detail
    kept = await store.db["documents"].find_one({"_id": oid})
    assert kept is not None and kept["review"]["state"] == "blocked"
    assert await store.db["retention_tombstones"].count_documents({}) == 0


async def test_approval_and_rejection_at_once_only_one_is_taken(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    _, proposal = await proposal_of(
        store, clock, admin, caseworker, case, file_document, records_manager
    )

    answers = await asyncio.gather(
        second_manager.client.post(
            f"/retention/proposals/{proposal}/approval", json={"code": second_manager.totp()}
        ),
        *[
            second_manager.client.post(
                f"/retention/proposals/{proposal}/rejection", json={"reason": f"Not yet {n}"}
            )
            for n in range(2)
        ],
    )

    taken = [a for a in answers if a.status_code in (200, 202)]
    assert len(taken) == 1, [a.text for a in answers]
    assert sorted(a.status_code for a in answers if a not in taken) == [409, 409]
    decided = await store.db["retention_proposals"].find_one({"_id": ObjectId(proposal)})
    assert decided is not None
    assert decided["state"] == ("approved" if taken[0].status_code == 202 else "rejected")
    events = await store.db["audit"].count_documents(
        {"action": {"$in": ["retention.approve.destroy", "retention.reject"]}}
    )
    assert events == 1


async def test_a_decided_proposal_is_absent_to_those_who_cannot_see_it(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    make_records_manager: Any,
    case: dict[str, Any],
    file_document: File,
) -> None:
    _, proposal = await proposal_of(
        store, clock, admin, caseworker, case, file_document, records_manager
    )
    approval = await second_manager.client.post(
        f"/retention/proposals/{proposal}/approval", json={"code": second_manager.totp()}
    )
    assert approval.status_code == 202, approval.text
    elsewhere = await make_records_manager(team="north")

    tried = [
        await elsewhere.client.post(
            f"/retention/proposals/{proposal}/approval", json={"code": elsewhere.totp()}
        ),
        await elsewhere.client.post(f"/retention/proposals/{proposal}/rejection", json={}),
    ]

    # The documents are destroyed; their tombstones still keep them to their team.
    assert [t.status_code for t in tried] == [404, 404]
    assert all("no proposal" in t.json()["detail"] for t in tried)
    run = approval.json()["id"]
    assert (await elsewhere.client.get(f"/retention/runs/{run}")).status_code == 404
    assert (await records_manager.client.get(f"/retention/runs/{run}")).status_code == 200


async def test_a_hold_on_a_limited_document_is_hidden_from_those_outside_the_limit(
    store: Store,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    file_document: File,
) -> None:
    document = await file_document(
        title="Victim statement", protective_marking="OFFICIAL-SENSITIVE"
    )
    named = [caseworker.username, records_manager.username]
    limited = await caseworker.client.put(
        f"/documents/{document['id']}/restriction", json={"users": named}
    )
    assert limited.status_code == 200, limited.text
    made = await records_manager.client.post(
        "/retention/holds",
        json={
            "reason": "subject_access_request",
            "note": "SAR 12",
            "target": "document",
            "id": document["id"],
        },
    )
    assert made.status_code == 201, made.text
    hold = made.json()["id"]

    listed = (await second_manager.client.get("/retention/holds")).json()["items"]
    read = await second_manager.client.get(f"/retention/holds/{hold}")
    lifted = await second_manager.client.post(f"/retention/holds/{hold}/lift", json={"note": "x"})

    assert listed == []
    assert read.status_code == 404 and lifted.status_code == 404
    assert (await records_manager.client.get(f"/retention/holds/{hold}")).status_code == 200
    still = await store.db["retention_holds"].find_one({"_id": ObjectId(hold)})
    assert still is not None and still["lifted"] is None


async def test_a_hold_on_a_person_is_for_those_who_see_their_cases(
    store: Store,
    caseworker: User,
    make_user: Any,
    records_manager: User,
    make_records_manager: Any,
    offender: dict[str, Any],
    case: dict[str, Any],
) -> None:
    north = await make_user("caseworker", team="north")
    await open_case(
        north.client, offender["id"], title="Parole review", team="north", case_type="parole_review"
    )
    elsewhere = await make_records_manager(team="south")
    everywhere = await make_records_manager(team="hq", level="admin")
    body = {
        "reason": "mappa",
        "note": "MAPPA level 3: victim lives nearby",
        "target": "offender",
        "id": offender["id"],
    }

    refused = await elsewhere.client.post("/retention/holds", json=body)
    made = await records_manager.client.post("/retention/holds", json=body)
    assert refused.status_code == 403 and "none of this person's cases" in refused.json()["detail"]
    assert made.status_code == 201, made.text
    hold = made.json()["id"]

    assert (await elsewhere.client.get("/retention/holds")).json()["items"] == []
    assert (await elsewhere.client.get(f"/retention/holds/{hold}")).status_code == 404
    assert (
        await elsewhere.client.post(f"/retention/holds/{hold}/lift", json={"note": "x"})
    ).status_code == 404
    # The ppcs manager sees one of the person's two cases: reads the hold, cannot lift it.
    assert (await records_manager.client.get(f"/retention/holds/{hold}")).status_code == 200
    partial = await records_manager.client.post(f"/retention/holds/{hold}/lift", json={"note": "x"})
    assert partial.status_code == 403 and "cannot see" in partial.json()["detail"]
    whole = await everywhere.client.post(f"/retention/holds/{hold}/lift", json={"note": "Ended"})
    assert whole.status_code == 200, whole.text


async def test_hold_decisions_name_their_own_fields(
    records_manager: User, file_document: File
) -> None:
    document = await file_document()

    bad_reason = await decide(
        records_manager.client, [document["id"]], "hold", hold_reason="whim", note="n"
    )
    not_a_list = await records_manager.client.post(
        "/retention/decisions", json={"document_ids": "abc", "decision": "destroy"}
    )

    assert bad_reason.status_code == 422
    assert [e["field"] for e in bad_reason.json()["errors"]] == ["hold_reason"]
    assert "'whim'" in bad_reason.json()["errors"][0]["message"]
    assert not_a_list.status_code == 422
    assert [e["field"] for e in not_a_list.json()["errors"]] == ["document_ids"]


async def test_a_retention_and_a_proposal_at_once_never_both_stand(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    document = (await due_documents(store, clock, admin, caseworker, case, file_document, count=1))[
        0
    ]
    later = clock.at.date().replace(year=clock.at.year + 2).isoformat()

    retained, proposed = await asyncio.gather(
        decide(second_manager.client, [document["id"]], "retain", until=later, reason="Appeal"),
        decide(records_manager.client, [document["id"]], "destroy"),
    )

    assert sorted([retained.status_code, proposed.status_code]) == [200, 409], (
        retained.text,
        proposed.text,
    )
    stored = await store.db["documents"].find_one({"_id": ObjectId(document["id"])})
    assert stored is not None
    review = stored["review"]
    if retained.status_code == 200:
        assert review["state"] is None and review["retained_until"] is not None
    else:
        assert review["state"] == "proposed" and review.get("retained_until") is None


async def test_decided_proposals_are_listed_and_read_by_state(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    second_manager: User,
    make_records_manager: Any,
    case: dict[str, Any],
    file_document: File,
) -> None:
    _, proposal = await proposal_of(
        store, clock, admin, caseworker, case, file_document, records_manager
    )
    rejected = await second_manager.client.post(
        f"/retention/proposals/{proposal}/rejection", json={"reason": "Appeal lodged"}
    )
    assert rejected.status_code == 200, rejected.text
    elsewhere = await make_records_manager(team="north")

    def ids(reply: Any) -> list[str]:
        return [p["id"] for p in reply.json()["items"]]

    waiting = await records_manager.client.get("/retention/proposals")
    by_state = await records_manager.client.get(
        "/retention/proposals", params={"state": "rejected"}
    )
    every = await records_manager.client.get("/retention/proposals", params={"state": "all"})
    odd = await records_manager.client.get("/retention/proposals", params={"state": "junk"})
    one = await records_manager.client.get(f"/retention/proposals/{proposal}")

    assert ids(waiting) == [] and ids(by_state) == [proposal] and ids(every) == [proposal]
    assert odd.status_code == 422 and odd.json()["errors"][0]["field"] == "state"
    assert one.status_code == 200
    assert one.json()["state"] == "rejected"
    assert one.json()["rejection_reason"] == "Appeal lodged"
    assert (await elsewhere.client.get(f"/retention/proposals/{proposal}")).status_code == 404
    listed = await elsewhere.client.get("/retention/proposals", params={"state": "all"})
    assert ids(listed) == []


async def test_a_document_filed_into_a_held_case_is_held_at_once_and_marked_by_evaluation(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    records_manager: User,
    case: dict[str, Any],
    file_document: File,
    ppud: Ppud,
) -> None:
    await add_rule(admin, code="recall-closed", case_types=["recall"], trigger="case_closed")
    made = await records_manager.client.post(
        "/retention/holds",
        json={"reason": "litigation", "note": "Claim 4", "target": "case", "id": case["id"]},
    )
    assert made.status_code == 201, made.text
    later = await file_document(title="Filed after the hold")
    await stop_case(caseworker.client, case["id"])
    clock.advance(days=7 * 366)
    await evaluated(store)

    shown = (await records_manager.client.get(f"/retention/records/{later['id']}")).json()
    assert shown["held"] is True and shown["state"] == "held"
    assert await queue_ids(records_manager.client, state="held") == [later["id"]]
    assert await queue_ids(records_manager.client, state="due") == []

    done = await ppud("retention", "evaluate")

    assert done.returncode == 0, done.stderr
    assert "marked 1 document(s)" in done.stdout
    stored = await store.db["documents"].find_one({"_id": ObjectId(later["id"])})
    assert stored is not None and stored["held_by"] == [ObjectId(made.json()["id"])]


async def test_approval_codes_guessed_are_limited_audited_and_lock_the_approver_out(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
    records_manager: User,
    second_manager: User,
) -> None:
    _, proposal = await proposal_of(
        store, clock, admin, caseworker, case, file_document, records_manager
    )
    url = f"/retention/proposals/{proposal}/approval"
    wrong = wrong_codes(second_manager)

    guesses = [await second_manager.client.post(url, json={"code": code}) for code in wrong]
    locked = await second_manager.client.post(url, json={"code": second_manager.totp()})
    unlocked = await admin.client.post(
        f"/users/{second_manager.id}/unlock", json={"code": admin.totp()}
    )
    approved = await second_manager.client.post(url, json={"code": second_manager.totp()})

    assert [g.status_code for g in guesses] == [403] * 5
    assert locked.status_code == 429, locked.text
    assert "too many failed code attempts; sign-in is locked too" in locked.json()["detail"]
    assert int(locked.headers["Retry-After"]) > 0
    refused = await store.db["audit"].count_documents(
        {
            "action": "user.code.refused",
            "user": second_manager.username,
            "detail.for": "approving a disposal",
        }
    )
    assert refused == 5
    assert unlocked.status_code in (200, 204), unlocked.text
    assert approved.status_code == 202, approved.text


async def test_an_approval_sent_twice_with_the_right_code_is_refused_but_not_counted_as_a_guess(
    store: Store,
    clock: Clock,
    admin: User,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
    records_manager: User,
    second_manager: User,
) -> None:
    _, proposal = await proposal_of(
        store, clock, admin, caseworker, case, file_document, records_manager
    )
    url = f"/retention/proposals/{proposal}/approval"
    code = second_manager.totp()

    sent = await asyncio.gather(
        *(second_manager.client.post(url, json={"code": code}) for _ in range(5))
    )

    assert sorted(r.status_code for r in sent) == [202, 403, 403, 403, 403]
    refused = [r.json()["detail"] for r in sent if r.status_code == 403]
    assert all("used already: wait for the next code" in d for d in refused), refused
    events = store.db["audit"].find({"user": second_manager.username})
    actions = [e["action"] async for e in events]
    assert actions.count("user.code.reused") == 4 and "user.code.refused" not in actions
    assert (
        await store.db["signin_failures"].count_documents(
            {"username": second_manager.username, "cleared": False}
        )
        == 0
    )


async def test_a_hold_lifted_by_several_requests_at_once_is_lifted_once_the_rest_told_by_whom(
    store: Store, records_manager: User, case: dict[str, Any]
) -> None:
    held = await records_manager.client.post(
        "/retention/holds",
        json={"reason": "litigation", "note": "Claim 9", "target": "case", "id": case["id"]},
    )
    url = f"/retention/holds/{held.json()['id']}/lift"

    sent = await asyncio.gather(
        *(records_manager.client.post(url, json={"note": f"Settled {n}"}) for n in range(4))
    )

    assert sorted(r.status_code for r in sent) == [200, 409, 409, 409], [r.text for r in sent]
    assert all("already lifted by" in r.json()["detail"] for r in sent if r.status_code == 409)
    assert await store.db["audit"].count_documents({"action": "retention.hold.lift"}) == 1
