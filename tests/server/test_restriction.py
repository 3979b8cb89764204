"""OFFICIAL-SENSITIVE documents limited to named users or teams within the case's access."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dossier_builder.build import DossierWorker
from records.store import Store
from search.worker import Worker
from tests.conftest import File, MakeUser, User
from tests.dossier.conftest import built, dossier_worker, of_one
from tests.search.conftest import search, settle, worker

__all__ = ["dossier_worker", "worker"]  # the fixtures this module borrows


async def sensitive(file_document: File) -> dict[str, Any]:
    return await file_document("office/testPDF.pdf", protective_marking="OFFICIAL-SENSITIVE")


async def limit(user: User, document_id: str, **body: Any) -> httpx.Response:
    return await user.client.put(f"/documents/{document_id}/restriction", json=body)


async def test_restriction_hides_the_document_from_everyone_not_named(
    store: Store,
    caseworker: User,
    make_user: MakeUser,
    case: dict[str, Any],
    file_document: File,
) -> None:
    named = await make_user("viewer")
    colleague = await make_user("manager")
    admin = await make_user("admin", team="hq")
    document = await sensitive(file_document)

    limited = await limit(caseworker, document["id"], users=[caseworker.username, named.username])

    assert limited.status_code == 200, limited.text
    assert limited.json()["restricted_to"] == {
        "users": sorted([caseworker.username, named.username]),
        "teams": [],
    }
    for allowed in (caseworker, named):
        assert (await allowed.client.get(f"/documents/{document['id']}")).status_code == 200
        content = await allowed.client.get(f"/documents/{document['id']}/content")
        assert content.status_code == 200
    for outsider in (colleague, admin):
        got = await outsider.client.get(f"/documents/{document['id']}")
        assert got.status_code == 404
        assert got.json()["detail"] == f"no document with id {document['id']!r}"
        assert (
            await outsider.client.get(f"/documents/{document['id']}/content")
        ).status_code == 404
        listed = (await outsider.client.get(f"/cases/{case['id']}/documents")).json()["items"]
        assert document["id"] not in [d["id"] for d in listed]
        # Nor can they lift the limit they cannot see.
        assert (await limit(outsider, document["id"], users=[], teams=[])).status_code == 404
    viewed = await store.db["audit"].find_one({"action": "document.view", "user": named.username})
    assert viewed is not None and viewed["detail"] == {"restricted": True}


async def test_restriction_to_a_team_admits_its_members_only(
    caseworker: User, make_user: MakeUser, case: dict[str, Any], file_document: File
) -> None:
    east = await make_user("manager", team="east")
    await caseworker.client.post(
        f"/cases/{case['id']}/shares", json={"team": "east", "purpose": "Joint work"}
    )
    document = await sensitive(file_document)
    team_mate = await make_user("viewer")

    limited = await limit(caseworker, document["id"], teams=["ppcs"])

    assert limited.status_code == 200, limited.text
    assert (await team_mate.client.get(f"/documents/{document['id']}")).status_code == 200
    assert (await east.client.get(f"/documents/{document['id']}")).status_code == 404

    widened = await limit(caseworker, document["id"], teams=["ppcs", "east"])
    assert widened.status_code == 200, widened.text
    assert (await east.client.get(f"/documents/{document['id']}")).status_code == 200


async def test_restriction_lifted_with_empty_lists(
    caseworker: User, make_user: MakeUser, file_document: File
) -> None:
    colleague = await make_user("caseworker")
    document = await sensitive(file_document)
    await limit(caseworker, document["id"], users=[caseworker.username])
    assert (await colleague.client.get(f"/documents/{document['id']}")).status_code == 404

    lifted = await limit(caseworker, document["id"], users=[], teams=[])

    assert lifted.status_code == 200
    assert lifted.json()["restricted_to"] is None
    assert (await colleague.client.get(f"/documents/{document['id']}")).status_code == 200


async def test_restricted_document_is_found_in_search_by_those_named_only(
    caseworker: User, make_user: MakeUser, file_document: File, worker: Worker
) -> None:
    colleague = await make_user("caseworker")
    document = await sensitive(file_document)
    await limit(caseworker, document["id"], users=[caseworker.username])
    await settle(worker)

    mine = await search(caseworker.client, "toolkit")
    theirs = await search(colleague.client, "toolkit")

    assert [h["document_id"] for h in mine["items"]] == [document["id"]]
    assert theirs["total"] == 0 and theirs["items"] == []


async def test_dossier_of_a_restricted_document_is_limited_no_wider(
    caseworker: User,
    make_user: MakeUser,
    case: dict[str, Any],
    file_document: File,
    dossier_worker: DossierWorker,
) -> None:
    named = await make_user("caseworker")
    colleague = await make_user("caseworker")
    document = await sensitive(file_document)
    await limit(caseworker, document["id"], users=[caseworker.username, named.username])

    job = await built(caseworker, dossier_worker, case["id"], of_one(document))
    dossier_id = job["result"]["document_id"]

    dossier = (await caseworker.client.get(f"/documents/{dossier_id}")).json()
    assert dossier["protective_marking"] == "OFFICIAL-SENSITIVE"
    assert dossier["restricted_to"] == {
        "users": sorted([caseworker.username, named.username]),
        "teams": [],
    }
    assert (await colleague.client.get(f"/documents/{dossier_id}")).status_code == 404


async def test_restriction_cannot_lower_the_marking_underneath_it(
    caseworker: User, file_document: File
) -> None:
    document = await sensitive(file_document)
    limited = await limit(caseworker, document["id"], users=[caseworker.username])

    lowered = await caseworker.client.patch(
        f"/documents/{document['id']}",
        json={"protective_marking": "OFFICIAL"},
        headers={"If-Match": f'"{limited.json()["revision"]}"'},
    )

    assert lowered.status_code == 422
    assert "lift the limit" in lowered.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"users": "alex"}, "users", "must be a list of strings"),
        ({"teams": [3]}, "teams", "must be a list of strings"),
        ({"users": ["a\u0000b"]}, "users", "control characters"),
        ({"users": ["nobody-here"]}, "users", "no active user named 'nobody-here'"),
        ({"teams": ["north"]}, "teams", "neither the case's team nor one it is shared with"),
        ({"users": ["x"] * 51}, "users", "at most 50 entries"),
        ({"readers": ["x"]}, "readers", "is not a field"),
    ],
)
async def test_restriction_bad_input_is_refused_by_name(
    caseworker: User, file_document: File, body: dict[str, Any], field: str, says: str
) -> None:
    document = await sensitive(file_document)

    refused = await limit(caseworker, document["id"], **body)

    assert refused.status_code == 422, refused.text
    assert says in refused.json()["detail"]
    assert field in [e["field"] for e in refused.json().get("errors", [{"field": field}])]
    after = (await caseworker.client.get(f"/documents/{document['id']}")).json()
    assert after["restricted_to"] is None


async def test_restriction_refuses_bodies_that_are_not_objects(
    caseworker: User, file_document: File
) -> None:
    document = await sensitive(file_document)

    listed = await caseworker.client.put(f"/documents/{document['id']}/restriction", json=["x"])
    broken = await caseworker.client.put(
        f"/documents/{document['id']}/restriction",
        content=b"{users",
        headers={"Content-Type": "application/json"},
    )

    assert listed.status_code == 422
    assert broken.status_code == 400


async def test_restriction_refuses_official_documents_and_people_outside_the_case(
    caseworker: User, make_user: MakeUser, file_document: File
) -> None:
    official = await file_document("office/testPDF.pdf")
    stranger = await make_user("caseworker", team="north")
    document = await sensitive(file_document)

    on_official = await limit(caseworker, official["id"], users=[caseworker.username])
    outsider = await limit(
        caseworker, document["id"], users=[caseworker.username, stranger.username]
    )
    without_me = await limit(caseworker, document["id"], users=[(await make_user()).username])
    by_viewer = await limit(await make_user("viewer"), document["id"], teams=["ppcs"])

    assert on_official.status_code == 422
    assert "only OFFICIAL-SENSITIVE documents" in on_official.json()["detail"]
    assert outsider.status_code == 422
    assert f"{stranger.username} cannot see this case" in outsider.json()["detail"]
    assert without_me.status_code == 422
    assert "name yourself or your team" in without_me.json()["detail"]
    assert by_viewer.status_code == 403
