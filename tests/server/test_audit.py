from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from records.actors import SYSTEM
from records.store import Store
from retention import roles
from tests.conftest import PASSWORD, Clock, File, MakeUser, User

PROBLEM_JSON = "application/problem+json"
# make_user's clients connect from this address (see conftest).
CLIENT_IP = "198.51.100.7"


async def new_offender(client: httpx.AsyncClient, family_name: str = "Example") -> str:
    response = await client.post(
        "/offenders",
        json={"family_name": family_name, "given_names": "Alex", "date_of_birth": "1985-04-12"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def events(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/audit", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def find(found: list[dict[str, Any]], action: str, target: str) -> dict[str, Any]:
    matches = [e for e in found if e["action"] == action and e["target"] == target]
    assert len(matches) == 1, (action, target, found)
    return matches[0]


async def test_audit_records_a_write_with_who_when_what_and_where(caseworker: User) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    offender_id = await new_offender(caseworker.client)

    found = await events(caseworker.client)

    event = find(found, "offender.create", f"offender:{offender_id}")
    assert event == {
        "id": event["id"],
        "at": event["at"],
        "user": caseworker.username,
        "action": "offender.create",
        "target": f"offender:{offender_id}",
        "detail": {},
        "ip": CLIENT_IP,
    }
    at = datetime.fromisoformat(event["at"].replace("Z", "+00:00"))
    assert before <= at <= datetime.now(UTC) + timedelta(seconds=1)
    assert event["at"].endswith("Z")


async def test_audit_records_what_changed_on_update(
    caseworker: User, offender: dict[str, Any]
) -> None:
    await caseworker.client.patch(
        f"/offenders/{offender['id']}", json={"given_names": "Sam", "pnc_number": "01/2A"}
    )

    found = await events(caseworker.client)

    event = find(found, "offender.update", f"offender:{offender['id']}")
    assert event["detail"] == {"fields": ["given_names", "pnc_number"]}
    assert event["ip"] == CLIENT_IP


async def test_audit_records_case_folder_and_document_writes(
    caseworker: User, case: dict[str, Any], document: dict[str, Any]
) -> None:
    folder = await caseworker.client.post(f"/cases/{case['id']}/folders", json={"name": "Mail"})

    found = await events(caseworker.client)

    created = find(found, "case.create", f"case:{case['id']}")
    assert created["detail"] == {"case_type": "recall", "team": "ppcs"}
    filed = find(found, "document.create", f"document:{document['id']}")
    assert filed["detail"]["sha256"] == document["versions"][0]["sha256"]
    assert filed["detail"]["size"] == document["versions"][0]["size"]
    foldered = find(found, "folder.create", f"folder:{folder.json()['id']}")
    assert foldered["detail"] == {"name": "Mail"}


async def test_audit_records_every_download(make_user: MakeUser, document: dict[str, Any]) -> None:
    viewer = await make_user("viewer")
    await viewer.client.get(f"/documents/{document['id']}/content")
    await viewer.client.get(f"/documents/{document['id']}/versions/1/content")

    found = await events(viewer.client)

    downloads = [e for e in found if e["action"] == "version.download"]
    assert len(downloads) == 2
    for event in downloads:
        assert event["user"] == viewer.username
        assert event["target"] == f"document:{document['id']}"
        assert event["detail"] == {"version": 1}
        assert event["ip"] == CLIENT_IP


async def test_audit_records_the_sign_in_address(
    anonymous: httpx.AsyncClient, caseworker: User
) -> None:
    await anonymous.post(
        "/api/v1/session",
        json={"username": caseworker.username, "password": PASSWORD, "totp": caseworker.totp()},
    )

    found = await events(caseworker.client)

    event = find(found, "session.create", f"user:{caseworker.id}")
    # The anonymous fixture's client address, not the bearer client's.
    assert event["ip"] == "203.0.113.9"


async def test_audit_shows_a_caseworker_only_their_own_events(make_user: MakeUser) -> None:
    mine = await make_user("caseworker")
    theirs = await make_user("caseworker")
    my_offender = await new_offender(mine.client)
    their_offender = await new_offender(theirs.client)

    unfiltered = await events(mine.client)
    asking_for_mine = await events(mine.client, user=mine.username)
    asking_for_theirs = await mine.client.get("/audit", params={"user": theirs.username})

    assert {e["user"] for e in unfiltered} == {mine.username}
    assert find(unfiltered, "offender.create", f"offender:{my_offender}")
    assert all(e["target"] != f"offender:{their_offender}" for e in unfiltered)
    assert asking_for_mine == unfiltered
    # Refused outright rather than quietly answered with the asker's own events.
    assert asking_for_theirs.status_code == 403
    assert "own audit events" in asking_for_theirs.json()["detail"]


async def test_audit_shows_a_manager_their_teams_events(make_user: MakeUser) -> None:
    first = await make_user("caseworker")
    second = await make_user("caseworker")
    manager = await make_user("manager")
    await new_offender(first.client)
    await new_offender(second.client)

    everyone = await events(manager.client)
    only_first = await events(manager.client, user=first.username)

    assert {first.username, second.username} <= {e["user"] for e in everyone}
    assert only_first
    assert {e["user"] for e in only_first} == {first.username}


async def test_audit_hides_another_teams_cases_from_a_manager(
    make_user: MakeUser, caseworker: User, document: dict[str, Any]
) -> None:
    elsewhere = await make_user("manager", team="elsewhere")
    admin = await make_user("admin", team="elsewhere")
    case_id = document["case_id"]

    by_case = await events(elsewhere.client, case_id=case_id)
    by_document = await events(elsewhere.client, document_id=document["id"])
    by_user = await events(elsewhere.client, user=caseworker.username)
    unfiltered = await events(elsewhere.client)
    as_admin = await events(admin.client, case_id=case_id)

    # The case answers 404 to this manager everywhere else; so does its trail.
    assert by_case == by_document == by_user == []
    assert all(e["user"] != caseworker.username for e in unfiltered)
    assert {"case.create", "document.create"} <= {e["action"] for e in as_admin}


async def test_audit_hides_a_limited_documents_events_from_those_outside_the_limit(
    store: Store,
    make_user: MakeUser,
    caseworker: User,
    case: dict[str, Any],
    file_document: File,
) -> None:
    keeper = await make_user("manager")
    await roles.set_records_manager(store, SYSTEM, keeper.username, granted=True)
    outsider = await make_user("manager")
    admin = await make_user("admin", team="hq")
    limited = await file_document(title="Victim statement", protective_marking="OFFICIAL-SENSITIVE")
    named = {"users": [caseworker.username, keeper.username]}
    assert (
        await caseworker.client.put(f"/documents/{limited['id']}/restriction", json=named)
    ).is_success
    held = await keeper.client.post(
        "/retention/holds",
        json={"reason": "other", "note": "Held", "target": "document", "id": limited["id"]},
    )
    assert held.status_code == 201, held.text

    for reader in (outsider, admin):
        everything = await reader.client.get("/audit")
        of_the_case = await events(reader.client, case_id=case["id"])
        of_the_document = await events(reader.client, document_id=limited["id"])
        exported = await reader.client.get("/audit.csv")

        for answer in (everything.text, exported.text):
            assert limited["id"] not in answer and "Victim statement" not in answer
        assert "case.create" in {e["action"] for e in of_the_case}
        assert limited["id"] not in str(of_the_case)
        assert of_the_document == []
    named_reader = await events(keeper.client, document_id=limited["id"])
    assert {"document.create", "document.restriction", "retention.hold.apply"} <= {
        e["action"] for e in named_reader
    }


async def test_audit_filters_by_case(
    caseworker: User, case: dict[str, Any], document: dict[str, Any]
) -> None:
    other = await caseworker.client.post(
        "/cases",
        json={"offender_id": case["offender_id"], "case_type": "recall", "title": "Other"},
    )
    await caseworker.client.post(f"/cases/{other.json()['id']}/folders", json={"name": "Other"})

    found = await events(caseworker.client, case_id=case["id"])
    nonsense = await events(caseworker.client, case_id="nonsense")

    assert {(e["action"], e["target"]) for e in found} == {
        ("case.create", f"case:{case['id']}"),
        ("document.create", f"document:{document['id']}"),
    }
    assert nonsense == []


async def test_audit_filters_by_document(
    caseworker: User, case: dict[str, Any], document: dict[str, Any]
) -> None:
    await caseworker.client.get(f"/documents/{document['id']}/content")
    await caseworker.client.post(
        f"/cases/{case['id']}/documents",
        data={"title": "Other", "doc_type": "other"},
        files={"file": ("other.txt", b"other words\n", "text/plain")},
    )

    found = await events(caseworker.client, document_id=document["id"])

    assert [e["action"] for e in found] == ["version.download", "document.create"]
    assert {e["target"] for e in found} == {f"document:{document['id']}"}


async def test_audit_filters_by_time(caseworker: User, clock: Clock) -> None:
    nine = await new_offender(caseworker.client, "Nine")
    clock.at += timedelta(hours=1)
    ten = await new_offender(caseworker.client, "Ten")
    clock.at += timedelta(hours=1)
    eleven = await new_offender(caseworker.client, "Eleven")

    since_ten = await events(caseworker.client, since="2026-03-02T10:00:00Z")
    until_eleven = await events(caseworker.client, until="2026-03-02T11:00:00+00:00")
    between = await events(
        caseworker.client, since="2026-03-02T10:00:00Z", until="2026-03-02T11:00:00Z"
    )
    since_the_day = await events(caseworker.client, since="2026-03-02")

    def targets(found: list[dict[str, Any]]) -> list[str]:
        return [e["target"] for e in found if e["action"] == "offender.create"]

    assert targets(since_ten) == [f"offender:{eleven}", f"offender:{ten}"]
    assert targets(until_eleven) == [f"offender:{ten}", f"offender:{nine}"]
    assert targets(between) == [f"offender:{ten}"]
    assert len(targets(since_the_day)) == 3


async def test_audit_refuses_a_time_that_is_not_iso_8601(caseworker: User) -> None:
    bad_since = await caseworker.client.get("/audit", params={"since": "last tuesday"})
    bad_until = await caseworker.client.get("/audit", params={"until": "2026-13-45"})

    assert bad_since.status_code == 422
    assert bad_since.headers["content-type"].startswith(PROBLEM_JSON)
    assert [e["field"] for e in bad_since.json()["errors"]] == ["since"]
    assert bad_until.status_code == 422
    assert [e["field"] for e in bad_until.json()["errors"]] == ["until"]


async def test_audit_lists_newest_first(caseworker: User) -> None:
    created = [await new_offender(caseworker.client, name) for name in ("One", "Two", "Three")]

    found = await events(caseworker.client)

    targets = [e["target"] for e in found if e["action"] == "offender.create"]
    assert targets == [f"offender:{i}" for i in reversed(created)]
    times = [e["at"] for e in found]
    assert times == sorted(times, reverse=True)


async def test_audit_pages_through_every_event_once(make_user: MakeUser) -> None:
    manager = await make_user("manager")
    for name in ("One", "Two", "Three", "Four", "Five"):
        await new_offender(manager.client, name)
    everything = [e["id"] for e in await events(manager.client)]

    paged: list[str] = []
    cursor = ""
    while True:
        page = (await manager.client.get("/audit", params={"limit": "2", "cursor": cursor})).json()
        paged += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(everything) >= 5
    assert paged == everything


async def test_audit_has_no_route_to_change_or_remove_events(caseworker: User) -> None:
    await new_offender(caseworker.client)
    before = await events(caseworker.client)

    answers = [
        await caseworker.client.request(method, "/audit", json={"action": "nothing"})
        for method in ("PATCH", "DELETE", "PUT", "POST")
    ]

    for response in answers:
        assert response.status_code == 405, response.request.method
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert "GET" in response.headers["allow"]
    assert await events(caseworker.client) == before


async def test_audit_routes_need_credentials(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/v1/audit")

    assert response.status_code == 401


async def test_audit_records_who_viewed_a_case_and_a_document(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    reader = await make_user("viewer")

    await reader.client.get(f"/cases/{document['case_id']}")
    await reader.client.get(f"/documents/{document['id']}")

    mine = (await reader.client.get("/audit")).json()["items"]
    assert [e["action"] for e in mine][:2] == ["document.view", "case.view"]
    assert mine[0]["target"] == f"document:{document['id']}"


async def test_audit_exports_as_csv_for_managers_with_formulas_defused(
    make_user: MakeUser, caseworker: User, offender: dict[str, Any]
) -> None:
    manager = await make_user("manager")
    case = await caseworker.client.post(
        "/cases",
        json={"offender_id": offender["id"], "case_type": "recall", "title": "=HYPERLINK(1)"},
    )
    assert case.status_code == 201, case.text

    exported = await manager.client.get("/audit.csv", params={"case_id": case.json()["id"]})
    refused = await caseworker.client.get("/audit.csv")

    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == [
        "seq",
        "at",
        "user",
        "action",
        "target",
        "detail",
        "ip",
        "case_id",
        "document_id",
    ]
    assert [r[3] for r in rows[1:]] == ["case.create"]
    assert rows[1][2] == caseworker.username
    assert refused.status_code == 403
    exports = (await manager.client.get("/audit", params={"user": manager.username})).json()
    assert exports["items"][0]["action"] == "audit.export"
