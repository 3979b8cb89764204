"""A case shared with another team for a purpose: readable by that team, not changeable."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Clock, File, MakeUser, User


async def share(user: User, case_id: str, **body: Any) -> httpx.Response:
    return await user.client.post(f"/cases/{case_id}/shares", json=body)


async def test_case_share_lets_the_other_team_read_the_case_and_its_documents(
    caseworker: User, make_user: MakeUser, case: dict[str, Any], file_document: File
) -> None:
    north = await make_user("caseworker", team="north")
    document = await file_document("office/testPDF.pdf")
    assert (await north.client.get(f"/cases/{case['id']}")).status_code == 404

    made = await share(caseworker, case["id"], team="north", purpose="MAPPA level 2 meeting")

    assert made.status_code == 201, made.text
    assert made.json()["active"] is True
    listed = (await north.client.get("/cases")).json()["items"]
    assert case["id"] in [c["id"] for c in listed]
    assert (await north.client.get(f"/cases/{case['id']}")).status_code == 200
    assert (await north.client.get(f"/documents/{document['id']}/content")).status_code == 200
    shares = (await caseworker.client.get(f"/cases/{case['id']}/shares")).json()["items"]
    assert [(s["team"], s["purpose"]) for s in shares] == [("north", "MAPPA level 2 meeting")]


async def test_case_shared_team_may_not_change_the_case(
    caseworker: User, make_user: MakeUser, case: dict[str, Any], file_document: File
) -> None:
    north = await make_user("manager", team="north")
    document = await file_document("office/testPDF.pdf")
    await share(caseworker, case["id"], team="north", purpose="Review")

    upload = await north.client.post(
        f"/cases/{case['id']}/documents",
        files={"file": ("x.txt", b"text")},
        data={"title": "Mine", "doc_type": "other"},
    )
    lock = await north.client.post(f"/documents/{document['id']}/lock")
    onward = await share(north, case["id"], team="ppcs", purpose="x")

    assert upload.status_code == 403
    assert "shared with yours to read" in upload.json()["detail"]
    assert lock.status_code == 403
    assert onward.status_code == 403


async def test_case_unshared_is_hidden_again_at_once(
    caseworker: User, make_user: MakeUser, case: dict[str, Any]
) -> None:
    north = await make_user("caseworker", team="north")
    await share(caseworker, case["id"], team="north", purpose="Review")
    assert (await north.client.get(f"/cases/{case['id']}")).status_code == 200

    ended = await caseworker.client.delete(f"/cases/{case['id']}/shares/north")

    assert ended.status_code == 204
    assert (await north.client.get(f"/cases/{case['id']}")).status_code == 404
    again = await caseworker.client.delete(f"/cases/{case['id']}/shares/north")
    assert again.status_code == 404


async def test_case_share_lapses_after_its_last_day(
    clock: Clock, caseworker: User, make_user: MakeUser, case: dict[str, Any]
) -> None:
    north = await make_user("caseworker", team="north")
    await share(
        caseworker, case["id"], team="north", purpose="Review", until=clock.at.date().isoformat()
    )

    clock.advance(days=1, hours=1)

    assert (await north.client.get(f"/cases/{case['id']}")).status_code == 404


async def test_case_share_refuses_bad_requests(
    caseworker: User, make_user: MakeUser, case: dict[str, Any]
) -> None:
    await make_user("caseworker", team="north")
    viewer = await make_user("viewer")

    own = await share(caseworker, case["id"], team="ppcs", purpose="x")
    unknown = await share(caseworker, case["id"], team="nowhere", purpose="x")
    no_purpose = await share(caseworker, case["id"], team="north")
    past = await share(caseworker, case["id"], team="north", purpose="x", until="2001-01-01")
    by_viewer = await share(viewer, case["id"], team="north", purpose="x")

    assert own.status_code == 422 and "already belongs" in own.text
    assert unknown.status_code == 422 and "no team named" in unknown.text
    assert no_purpose.status_code == 422
    assert past.status_code == 422
    assert by_viewer.status_code == 403
