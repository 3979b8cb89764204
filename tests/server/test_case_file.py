"""A case's notes, contacts and correspondence: kept, corrected never edited, refused clearly."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from bson import ObjectId

from records import access
from records.actors import SYSTEM
from records.store import Store
from tests.conftest import Clock, File, MakeUser, User, open_case


@pytest.fixture
async def contact(caseworker: User) -> dict[str, Any]:
    made = await caseworker.client.post(
        "/contacts", json={"kind": "offender_manager", "name": "Jo Bloggs", "organisation": "PS"}
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def note(user: User, case_id: str, **body: Any) -> httpx.Response:
    return await user.client.post(f"/cases/{case_id}/notes", json=body)


def problems(answer: httpx.Response) -> dict[str, str]:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    return {e["field"]: e["message"] for e in answer.json().get("errors", [])}


async def test_notes_are_kept_with_author_and_time_and_never_edited(
    caseworker: User, case: dict[str, Any], clock: Clock, store: Store
) -> None:
    made = await note(caseworker, case["id"], text="Spoke to OM.\r\nRecall agreed.")
    assert made.status_code == 201, made.text
    first = made.json()
    assert first["text"] == "Spoke to OM.\nRecall agreed."
    assert first["created_by"] == caseworker.username
    assert first["created_at"] == "2026-03-02T09:00:00.000Z"
    assert first["corrects"] is None and first["corrected_by"] is None

    path = f"/cases/{case['id']}/notes"
    for method in ("PATCH", "PUT", "DELETE"):
        answer = await caseworker.client.request(method, path, json={"text": "x"})
        assert answer.status_code == 405, method
        answer = await caseworker.client.request(method, f"{path}/{first['id']}")
        assert answer.status_code == 404, method
    listed = (await caseworker.client.get(path)).json()["items"]
    assert [n["text"] for n in listed] == ["Spoke to OM.\nRecall agreed."]
    event = await store.db["audit"].find_one({"action": "note.create"})
    assert event is not None and event["target"] == f"note:{first['id']}"
    assert event["case_id"] == ObjectId(case["id"])


async def test_note_correction_points_to_the_old_and_the_old_shows_it(
    caseworker: User, make_user: MakeUser, case: dict[str, Any], store: Store
) -> None:
    old = (await note(caseworker, case["id"], text="Licence ends 2027-01-01")).json()
    fixed = await note(caseworker, case["id"], text="Licence ends 2028-01-01", corrects=old["id"])
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["corrects"] == old["id"]

    listed = (await caseworker.client.get(f"/cases/{case['id']}/notes")).json()["items"]
    assert [n["id"] for n in listed] == [fixed.json()["id"], old["id"]]  # newest first
    assert listed[1]["text"] == "Licence ends 2027-01-01"  # the old words stay
    assert listed[1]["corrected_by"] == fixed.json()["id"]
    event = await store.db["audit"].find_one({"action": "note.correct"})
    assert event is not None and event["detail"] == {"corrects": old["id"]}

    # Corrected once: a second correction of the same note corrects the correction.
    again = await note(caseworker, case["id"], text="Licence ends 2029", corrects=old["id"])
    assert again.status_code == 409
    assert fixed.json()["id"] in again.json()["detail"]


async def test_two_corrections_of_one_note_at_once_one_wins(
    caseworker: User, case: dict[str, Any]
) -> None:
    old = (await note(caseworker, case["id"], text="Wrong date")).json()
    answers = await asyncio.gather(
        *(
            note(caseworker, case["id"], text=f"Right date {n}", corrects=old["id"])
            for n in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]


async def test_note_correction_of_another_cases_note_is_refused(
    caseworker: User, case: dict[str, Any]
) -> None:
    other = await open_case(caseworker.client, case["offender_id"], title="Another case")
    theirs = (await note(caseworker, other["id"], text="About the other case")).json()

    for corrects in (theirs["id"], "not-an-id", "0123456789abcdef01234567"):
        answer = await note(caseworker, case["id"], text="Correction", corrects=corrects)
        assert answer.status_code == 422
        assert problems(answer) == {"corrects": "is not the id of a note of this case"}
    listed = (await caseworker.client.get(f"/cases/{other['id']}/notes")).json()["items"]
    assert listed[0]["corrected_by"] is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "text", "is required"),
        ({"text": "   "}, "text", "is required"),
        ({"text": "x" * 10_001}, "text", "must be at most 10000 characters"),
        ({"text": "bell\x07"}, "text", "must not contain control characters"),
        ({"text": "ok\u202egpj.exe"}, "text", "must not contain control characters"),
        ({"text": 12}, "text", "must be a string"),
        ({"text": "ok", "author": "me"}, "author", "is not a field of this record"),
    ],
)
async def test_note_bad_input_gets_a_clear_error(
    caseworker: User, case: dict[str, Any], body: dict[str, Any], field: str, message: str
) -> None:
    answer = await note(caseworker, case["id"], **body)

    assert answer.status_code == 422
    assert problems(answer) == {field: message}
    assert f"{field}: {message}" in answer.json()["detail"]


async def test_case_contacts_linked_with_a_role_and_unlinked_audited(
    caseworker: User, case: dict[str, Any], contact: dict[str, Any], store: Store
) -> None:
    path = f"/cases/{case['id']}/contacts"
    linked = await caseworker.client.post(
        path, json={"contact_id": contact["id"], "role": "offender_manager"}
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["contact"]["name"] == "Jo Bloggs"
    twice = await caseworker.client.post(
        path, json={"contact_id": contact["id"], "role": "offender_manager"}
    )
    assert twice.status_code == 409
    assert "offender manager already" in twice.json()["detail"]
    unknown = await caseworker.client.post(
        path, json={"contact_id": "0123456789abcdef01234567", "role": "judge"}
    )
    assert problems(unknown)["role"].startswith("must be one of offender_manager, solicitor")
    unknown = await caseworker.client.post(
        path, json={"contact_id": "0123456789abcdef01234567", "role": "solicitor"}
    )
    assert problems(unknown) == {"contact_id": "is not the id of a contact in the directory"}

    listed = (await caseworker.client.get(path)).json()["items"]
    assert [(i["role"], i["contact"]["id"]) for i in listed] == [
        ("offender_manager", contact["id"])
    ]
    removed = await caseworker.client.delete(f"{path}/{linked.json()['id']}")
    assert removed.status_code == 204
    assert (await caseworker.client.get(path)).json()["items"] == []
    assert (await caseworker.client.delete(f"{path}/{linked.json()['id']}")).status_code == 404
    events = store.db["audit"].find({"case_id": ObjectId(case["id"])}).sort("seq", 1)
    assert [e["action"] async for e in events][-2:] == ["case_contact.link", "case_contact.unlink"]
    assert (await caseworker.client.get(f"/contacts/{contact['id']}")).status_code == 200


async def test_correspondence_logged_with_a_document_of_the_case(
    caseworker: User, case: dict[str, Any], contact: dict[str, Any], file_document: File
) -> None:
    letter = await file_document(title="Letter to OM", doc_type="correspondence")
    path = f"/cases/{case['id']}/correspondence"
    body = {
        "direction": "sent",
        "date": "2026-03-01",
        "contact_id": contact["id"],
        "subject": "Request for Part A",
        "document_id": letter["id"],
    }
    made = await caseworker.client.post(path, json=body)
    assert made.status_code == 201, made.text
    entry = made.json()
    assert entry["document"] == {"id": letter["id"], "title": "Letter to OM"}
    assert entry["contact"]["name"] == "Jo Bloggs"
    plain = await caseworker.client.post(path, json={**body, "document_id": None})
    assert plain.status_code == 201

    listed = (await caseworker.client.get(path)).json()["items"]
    assert [e["id"] for e in listed] == [plain.json()["id"], entry["id"]]
    exported = await caseworker.client.get(f"{path}.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0].startswith("id,date,direction,contact")
    assert "Request for Part A" in lines[2] and "Letter to OM" in lines[2]


async def test_correspondence_bad_input_gets_clear_errors(
    clock: Clock,
    caseworker: User,
    make_user: MakeUser,
    case: dict[str, Any],
    contact: dict[str, Any],
    file_document: File,
) -> None:
    path = f"/cases/{case['id']}/correspondence"
    everything_wrong = {"direction": "lost", "date": "2026-02-30", "subject": "x" * 301}
    answer = await caseworker.client.post(path, json=everything_wrong)
    assert answer.status_code == 422
    assert problems(answer) == {
        "direction": "must be sent or received",
        "date": "must be a real date written YYYY-MM-DD",
        "contact_id": "is required",
        "subject": "must be at most 300 characters",
    }
    good = {"direction": "received", "date": "2026-03-02", "contact_id": contact["id"]}
    future = await caseworker.client.post(path, json={**good, "subject": "x", "date": "2026-03-03"})
    assert "date" in problems(future)
    unknown = await caseworker.client.post(
        path, json={**good, "subject": "x", "contact_id": "0123456789abcdef01234567"}
    )
    assert problems(unknown) == {"contact_id": "is not the id of a contact in the directory"}

    other = await open_case(caseworker.client, case["offender_id"], title="Another case")
    elsewhere = await file_document(case_id=other["id"], title="Another case's letter")
    limited = await file_document(title="Limited", protective_marking="OFFICIAL-SENSITIVE")
    restricted = await caseworker.client.put(
        f"/documents/{limited['id']}/restriction", json={"users": [caseworker.username]}
    )
    assert restricted.status_code == 200, restricted.text
    colleague = await make_user("caseworker")
    for who, document_id in (
        (caseworker, elsewhere["id"]),
        (caseworker, "not-an-id"),
        (colleague, limited["id"]),  # exists in this case, but not for them
    ):
        refused = await who.client.post(
            path, json={**good, "subject": "Letter", "document_id": document_id}
        )
        assert refused.status_code == 422
        assert problems(refused) == {"document_id": "is not the id of a document in this case"}

    # The limited letter, logged by the one who may see it, stays unnamed to the others.
    await caseworker.client.post(path, json={**good, "subject": "L", "document_id": limited["id"]})
    theirs = (await colleague.client.get(path)).json()["items"][0]
    assert theirs["document"] is None
    mine = (await caseworker.client.get(path)).json()["items"][0]
    assert mine["document"]["title"] == "Limited"


async def test_case_file_hidden_from_external_users_and_other_teams(
    caseworker: User,
    make_user: MakeUser,
    case: dict[str, Any],
    contact: dict[str, Any],
    store: Store,
) -> None:
    await note(caseworker, case["id"], text="Internal view of the risk")
    stored = await store.db["cases"].find_one({"_id": ObjectId(case["id"])})
    assert stored is not None
    member = await make_user("viewer", team="board", external=True, organisation="Board")
    await access.associate(store, SYSTEM, stored, {"user_id": member.id, "until": None})
    stranger = await make_user("manager", team="north")
    viewer = await make_user("viewer")
    assert (await member.client.get(f"/cases/{case['id']}")).status_code == 200

    for kind in ("notes", "contacts", "correspondence", "correspondence.csv"):
        path = f"/cases/{case['id']}/{kind}"
        for outsider in (member, stranger):
            answer = await outsider.client.get(path)
            assert answer.status_code == 404, (kind, outsider.username)
            assert "Internal view" not in answer.text
        assert (await viewer.client.get(path)).status_code == 200
    written = {
        "notes": {"text": "x"},
        "contacts": {"contact_id": contact["id"], "role": "solicitor"},
        "correspondence": {"direction": "sent", "date": "2026-03-01", "subject": "x"},
    }
    for kind, body in written.items():
        path = f"/cases/{case['id']}/{kind}"
        assert (await member.client.post(path, json=body)).status_code == 404
        assert (await stranger.client.post(path, json=body)).status_code == 404
        assert (await viewer.client.post(path, json=body)).status_code == 403
