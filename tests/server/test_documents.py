"""Reading, listing and changing documents: the contract's fields, If-Match and visibility."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from typing import Any

import httpx
import pytest

from records.store import Store
from tests.conftest import CORPUS, MakeUser, User, upload
from tests.server.test_uploads import assert_problem, error_fields

PDF = (CORPUS / "pdf-samples" / "001-trivial" / "minimal-document.pdf").read_bytes()
UNKNOWN_ID = "0123456789abcdef01234567"
DOCUMENT_FIELDS = {
    "id",
    "case_id",
    "folder_id",
    "title",
    "doc_type",
    "document_date",
    "protective_marking",
    "metadata",
    "revision",
    "current_version",
    "shared_with_external",
    "lock",
    "text_status",
    "versions",
}
VERSION_FIELDS = {
    "number",
    "filename",
    "media_type",
    "size",
    "sha256",
    "created_at",
    "created_by",
    "comment",
    # Beyond api.md: each version's extraction state (issue 3: "show each version's text_status").
    "text_status",
    "text_reason",
}


def parse_time(value: str) -> datetime:
    """An api.md timestamp: ISO 8601 with an explicit offset."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, value
    return parsed


async def events(user: User, document_id: str) -> list[dict[str, Any]]:
    """The audit events this user may see for one document, newest first."""
    response = await user.client.get("/audit", params={"document_id": document_id})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def actions(user: User, document_id: str) -> list[str]:
    return [event["action"] for event in await events(user, document_id)]


async def read(user: User, document_id: str) -> dict[str, Any]:
    response = await user.client.get(f"/documents/{document_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def patch(
    user: User, document_id: str, changes: Any, if_match: str | None = '"1"'
) -> httpx.Response:
    headers = {"If-Match": if_match} if if_match is not None else {}
    return await user.client.patch(f"/documents/{document_id}", json=changes, headers=headers)


async def refuse_audit_events(store: Store, action: str) -> None:
    """Make the audit trail itself refuse any further event of this action."""
    # A unique index over the action, already taken, fails the next insert for
    # real: the database refuses it, nothing in our code is replaced.
    await store.db["audit"].create_index(
        "action", unique=True, partialFilterExpression={"action": action}, name="refuse"
    )
    await store.db["audit"].insert_one({"action": action, "target": "placeholder"})


def without_id(response: httpx.Response, ident: str) -> dict[str, Any]:
    body = dict(response.json())
    return {**body, "detail": body["detail"].replace(ident, "ID")}


# Reading


async def test_document_get_has_every_field_the_contract_lists(
    caseworker: User, case: dict[str, Any]
) -> None:
    created = await upload(
        caseworker.client,
        case["id"],
        PDF,
        "minimal.pdf",
        title="Licence conditions",
        doc_type="licence",
        document_date="2026-02-14",
        protective_marking="OFFICIAL-SENSITIVE",
        metadata='{"court": "Leeds Crown Court", "pages": 1}',
        comment="as received",
    )
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]

    response = await caseworker.client.get(f"/documents/{document_id}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= DOCUMENT_FIELDS
    assert body["id"] == document_id
    assert body["case_id"] == case["id"]
    assert body["folder_id"] is None
    assert body["title"] == "Licence conditions"
    assert body["doc_type"] == "licence"
    assert body["document_date"] == "2026-02-14"
    assert body["protective_marking"] == "OFFICIAL-SENSITIVE"
    assert body["metadata"] == {"court": "Leeds Crown Court", "pages": 1}
    assert body["revision"] == 1
    assert body["current_version"] == 1
    assert body["shared_with_external"] is False
    assert body["lock"] is None
    assert body["text_status"] in {"pending", "extracting", "done", "failed", "none"}
    [version] = body["versions"]
    assert set(version) == VERSION_FIELDS
    assert version["number"] == 1
    assert version["filename"] == "minimal.pdf"
    assert version["media_type"] == "application/pdf"
    assert version["size"] == len(PDF)
    assert version["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert version["created_by"] == caseworker.username
    assert version["comment"] == "as received"
    parse_time(version["created_at"])


async def test_document_get_etag_is_the_quoted_revision(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await caseworker.client.get(f"/documents/{document['id']}")

    assert response.headers["ETag"] == '"1"'


async def test_document_get_etag_follows_the_revision_after_a_change(
    caseworker: User, document: dict[str, Any]
) -> None:
    changed = await patch(caseworker, document["id"], {"title": "Renamed"})
    assert changed.status_code == 200, changed.text

    response = await caseworker.client.get(f"/documents/{document['id']}")

    assert response.json()["revision"] == 2
    assert response.headers["ETag"] == '"2"'


async def test_document_get_in_a_folder_names_the_folder(
    caseworker: User, case: dict[str, Any]
) -> None:
    folder = await caseworker.client.post(f"/cases/{case['id']}/folders", json={"name": "Parole"})
    assert folder.status_code == 201, folder.text
    created = await upload(caseworker.client, case["id"], PDF, folder_id=folder.json()["id"])
    assert created.status_code == 201, created.text

    body = await read(caseworker, created.json()["id"])

    assert body["folder_id"] == folder.json()["id"]


async def test_document_get_by_a_viewer_of_the_team_is_allowed(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")

    body = await read(viewer, document["id"])

    assert body["id"] == document["id"]


@pytest.mark.parametrize("document_id", [UNKNOWN_ID, "not-an-id", "0" * 25])
async def test_document_get_unknown_or_malformed_id_is_not_found(
    caseworker: User, document_id: str
) -> None:
    response = await caseworker.client.get(f"/documents/{document_id}")

    assert_problem(response, 404, "document", document_id)


async def test_document_get_with_a_very_long_id_echoes_only_its_start(caseworker: User) -> None:
    response = await caseworker.client.get(f"/documents/{'a' * 10_000}")

    detail = assert_problem(response, 404, "document")["detail"]
    assert "a" * 40 + "…" in detail
    assert len(detail) < 100


async def test_document_get_by_other_team_is_indistinguishable_from_absent(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    stranger = await make_user("manager", team="elsewhere")

    hidden = await stranger.client.get(f"/documents/{document['id']}")
    absent = await stranger.client.get(f"/documents/{UNKNOWN_ID}")

    assert_problem(hidden, 404, "document")
    assert_problem(absent, 404, "document")
    assert without_id(hidden, document["id"]) == without_id(absent, UNKNOWN_ID)
    # The case the document sits in is never named to someone who may not see it.
    assert document["case_id"] not in hidden.text


async def test_document_get_by_external_user_is_not_found(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    external = await make_user("caseworker", external=True, organisation="Solicitors LLP")

    response = await external.client.get(f"/documents/{document['id']}")

    assert_problem(response, 404, "document")


async def test_document_get_without_credentials_is_unauthenticated(
    anonymous: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    response = await anonymous.get(f"/api/v1/documents/{document['id']}")

    assert_problem(response, 401)


# Listing


async def test_document_list_names_each_document_of_the_case_in_filing_order(
    caseworker: User, case: dict[str, Any]
) -> None:
    first = await upload(caseworker.client, case["id"], PDF, title="First")
    second = await upload(caseworker.client, case["id"], PDF, title="Second")
    assert first.status_code == second.status_code == 201

    response = await caseworker.client.get(f"/cases/{case['id']}/documents")

    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["title"] for item in body["items"]] == ["First", "Second"]
    assert body["next_cursor"] is None
    # Each item is the same view GET /documents/{id} gives.
    assert body["items"][0] == await read(caseworker, first.json()["id"])


async def test_document_list_leaves_out_other_cases_documents(
    caseworker: User, offender: dict[str, Any], document: dict[str, Any]
) -> None:
    other_case = await caseworker.client.post(
        "/cases",
        json={
            "offender_id": offender["id"],
            "case_type": "parole_review",
            "title": "Parole review",
            "team": "ppcs",
        },
    )
    assert other_case.status_code == 201, other_case.text

    response = await caseworker.client.get(f"/cases/{other_case.json()['id']}/documents")

    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


async def test_document_list_of_other_team_case_is_not_found(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    stranger = await make_user("caseworker", team="elsewhere")

    response = await stranger.client.get(f"/cases/{document['case_id']}/documents")

    assert_problem(response, 404, "case")


async def test_document_list_is_paged_as_every_list_is(
    caseworker: User, case: dict[str, Any]
) -> None:
    for title in ("One", "Two", "Three"):
        created = await upload(caseworker.client, case["id"], PDF, title=title)
        assert created.status_code == 201, created.text

    first = await caseworker.client.get(f"/cases/{case['id']}/documents", params={"limit": 2})
    cursor = first.json()["next_cursor"]
    rest = await caseworker.client.get(
        f"/cases/{case['id']}/documents", params={"limit": 2, "cursor": cursor}
    )

    assert [item["title"] for item in first.json()["items"]] == ["One", "Two"]
    assert [item["title"] for item in rest.json()["items"]] == ["Three"]
    assert rest.json()["next_cursor"] is None


async def test_document_list_with_a_bad_limit_or_cursor_is_refused(
    caseworker: User, document: dict[str, Any]
) -> None:
    listing = f"/cases/{document['case_id']}/documents"

    too_many = await caseworker.client.get(listing, params={"limit": 501})
    forged = await caseworker.client.get(listing, params={"cursor": "not-a-cursor"})

    assert "limit" in error_fields(assert_problem(too_many, 422, "limit"))
    assert "cursor" in error_fields(assert_problem(forged, 422, "cursor"))


# Changing metadata


async def test_document_patch_changes_the_fields_and_bumps_the_revision(
    caseworker: User, document: dict[str, Any]
) -> None:
    changes = {
        "title": "Licence, signed",
        "document_date": "2026-01-31",
        "protective_marking": "OFFICIAL-SENSITIVE",
        "metadata": {"signed_by": "Governor"},
    }

    response = await patch(caseworker, document["id"], changes)

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    body = response.json()
    assert body["revision"] == 2
    assert {name: body[name] for name in changes} == changes
    assert await read(caseworker, document["id"]) == body


async def test_document_patch_leaves_unnamed_fields_alone(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await patch(caseworker, document["id"], {"title": "Only the title"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["doc_type"] == document["doc_type"]
    assert body["protective_marking"] == document["protective_marking"]
    assert body["versions"] == document["versions"]


@pytest.mark.parametrize("changes", [{}, {"title": "A report"}], ids=["empty", "same-title"])
async def test_document_patch_that_changes_nothing_keeps_the_revision(
    caseworker: User, document: dict[str, Any], changes: dict[str, Any]
) -> None:
    before = await actions(caseworker, document["id"])

    response = await patch(caseworker, document["id"], changes)
    stale = await patch(caseworker, document["id"], changes, if_match='"7"')

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    assert await actions(caseworker, document["id"]) == before
    # Changing nothing is still judged against the revision the client read.
    assert_problem(stale, 412)


async def test_document_patch_accepts_the_revision_it_was_given(
    caseworker: User, document: dict[str, Any]
) -> None:
    first = await patch(caseworker, document["id"], {"title": "Second title"})
    assert first.status_code == 200, first.text

    second = await patch(
        caseworker, document["id"], {"title": "Third title"}, if_match=first.headers["ETag"]
    )

    assert second.status_code == 200, second.text
    assert second.json()["revision"] == 3


async def test_document_patch_is_audited_with_the_fields_changed(
    caseworker: User, document: dict[str, Any]
) -> None:
    # The metadata is already {}: only what really changes is named.
    response = await patch(
        caseworker, document["id"], {"title": "Audited", "metadata": {}, "doc_type": "licence"}
    )
    assert response.status_code == 200, response.text

    [event] = [
        e for e in await events(caseworker, document["id"]) if e["action"] == "document.update"
    ]

    assert event["user"] == caseworker.username
    assert event["target"] == f"document:{document['id']}"
    assert event["detail"] == {"fields": ["title"], "revision": 2}


async def test_document_patch_moves_the_document_into_a_folder_and_out(
    caseworker: User, document: dict[str, Any]
) -> None:
    folder = await caseworker.client.post(
        f"/cases/{document['case_id']}/folders", json={"name": "Licences"}
    )
    assert folder.status_code == 201, folder.text

    moved_in = await patch(caseworker, document["id"], {"folder_id": folder.json()["id"]})
    moved_out = await patch(caseworker, document["id"], {"folder_id": None}, if_match='"2"')

    assert moved_in.status_code == 200, moved_in.text
    assert moved_in.json()["folder_id"] == folder.json()["id"]
    assert moved_out.status_code == 200, moved_out.text
    assert moved_out.json()["folder_id"] is None


async def test_document_patch_into_another_case_folder_is_refused(
    caseworker: User, offender: dict[str, Any], document: dict[str, Any]
) -> None:
    other_case = await caseworker.client.post(
        "/cases",
        json={
            "offender_id": offender["id"],
            "case_type": "recall",
            "title": "Another recall",
            "team": "ppcs",
        },
    )
    folder = await caseworker.client.post(
        f"/cases/{other_case.json()['id']}/folders", json={"name": "Elsewhere"}
    )
    assert folder.status_code == 201, folder.text

    response = await patch(caseworker, document["id"], {"folder_id": folder.json()["id"]})

    body = assert_problem(response, 422, "folder")
    assert error_fields(body) == {"folder_id"}
    assert (await read(caseworker, document["id"]))["folder_id"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "t" * 301),
        ("doc_type", "no_such_type"),
        ("document_date", "2026-13-01"),
        ("document_date", "9999-12-31"),
        ("document_date", "0001-01-01"),
        ("protective_marking", "TOP SECRET"),
        ("metadata", {"notes": "n" * 17_000}),
    ],
)
async def test_document_patch_invalid_value_is_refused_naming_the_field(
    caseworker: User, document: dict[str, Any], field: str, value: Any
) -> None:
    response = await patch(caseworker, document["id"], {field: value})

    body = assert_problem(response, 422, field)
    assert error_fields(body) == {field}
    assert (await read(caseworker, document["id"]))["revision"] == 1


async def test_document_patch_with_stale_revision_is_a_failed_precondition(
    caseworker: User, document: dict[str, Any]
) -> None:
    moved_on = await patch(caseworker, document["id"], {"title": "Someone else's change"})
    assert moved_on.status_code == 200, moved_on.text

    response = await patch(caseworker, document["id"], {"title": "Mine"}, if_match='"1"')

    assert_problem(response, 412, "revision 1")
    body = await read(caseworker, document["id"])
    assert body["title"] == "Someone else's change"
    assert body["revision"] == 2


async def test_document_patch_with_a_future_revision_is_a_failed_precondition(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await patch(caseworker, document["id"], {"title": "Mine"}, if_match='"7"')

    assert_problem(response, 412, "revision 7")
    assert (await read(caseworker, document["id"]))["revision"] == 1


@pytest.mark.parametrize("if_match", ["abc", '"x"', '"1', '""', '"-1"', '"1.0"', "*"])
async def test_document_patch_with_malformed_if_match_is_malformed(
    caseworker: User, document: dict[str, Any], if_match: str
) -> None:
    response = await patch(caseworker, document["id"], {"title": "Mine"}, if_match=if_match)

    assert_problem(response, 400, "If-Match")
    assert (await read(caseworker, document["id"]))["revision"] == 1


async def test_document_patch_without_if_match_requires_a_precondition(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await patch(caseworker, document["id"], {"title": "Mine"}, if_match=None)

    assert_problem(response, 428, "If-Match")
    assert (await read(caseworker, document["id"]))["title"] == document["title"]


@pytest.mark.parametrize("metadata", [[1, 2], "not json", 42, None, True])
async def test_document_patch_metadata_not_an_object_is_refused(
    caseworker: User, document: dict[str, Any], metadata: Any
) -> None:
    response = await patch(caseworker, document["id"], {"metadata": metadata})

    body = assert_problem(response, 422, "metadata")
    assert error_fields(body) == {"metadata"}
    assert (await read(caseworker, document["id"]))["revision"] == 1


async def test_document_patch_metadata_with_operator_keys_is_refused(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await patch(caseworker, document["id"], {"metadata": {"$set": {"a": 1}}})

    body = assert_problem(response, 422, "metadata")
    assert error_fields(body) == {"metadata"}


@pytest.mark.parametrize(
    "field", ["colour", "revision", "current_version", "lock", "shared_with_external", "_id"]
)
async def test_document_patch_unknown_or_protected_field_is_refused(
    caseworker: User, document: dict[str, Any], field: str
) -> None:
    response = await patch(caseworker, document["id"], {field: 5, "title": "Also this"})

    body = assert_problem(response, 422, field)
    assert error_fields(body) == {field}
    after = await read(caseworker, document["id"])
    assert (after["revision"], after["title"]) == (1, document["title"])


@pytest.mark.parametrize("changes", [[{"title": "x"}], "title", 3])
async def test_document_patch_body_not_an_object_is_refused(
    caseworker: User, document: dict[str, Any], changes: Any
) -> None:
    response = await patch(caseworker, document["id"], changes)

    assert_problem(response, 422, "object")


async def test_document_patch_body_not_json_is_malformed(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await caseworker.client.patch(
        f"/documents/{document['id']}",
        content=b"{title: unquoted}",
        headers={"If-Match": '"1"', "Content-Type": "application/json"},
    )

    assert_problem(response, 400, "JSON")


async def test_document_patch_blank_title_is_refused(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await patch(caseworker, document["id"], {"title": "  "})

    body = assert_problem(response, 422, "title")
    assert error_fields(body) == {"title"}


async def test_document_patch_by_viewer_is_forbidden(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")

    response = await patch(viewer, document["id"], {"title": "Viewer's title"})

    assert_problem(response, 403, "viewer")
    assert (await read(viewer, document["id"]))["revision"] == 1


async def test_document_patch_by_other_team_is_not_found_whatever_the_headers(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    stranger = await make_user("manager", team="elsewhere")

    # A header error first would confirm the document exists.
    without = await patch(stranger, document["id"], {"title": "x"}, if_match=None)
    malformed = await patch(stranger, document["id"], {"title": "x"}, if_match="abc")
    absent = await patch(stranger, UNKNOWN_ID, {"title": "x"})

    assert_problem(without, 404, "document")
    assert without_id(without, document["id"]) == without_id(absent, UNKNOWN_ID)
    assert without_id(malformed, document["id"]) == without_id(absent, UNKNOWN_ID)


async def test_document_patch_race_lets_exactly_one_writer_win(
    caseworker: User, document: dict[str, Any]
) -> None:
    titles = [f"Title from writer {n}" for n in range(10)]

    # Every writer read revision 1; only one may build on it.
    responses = await asyncio.gather(
        *(patch(caseworker, document["id"], {"title": title}) for title in titles)
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * 9, [r.text for r in responses]
    [winner] = [response.json() for response in responses if response.status_code == 200]
    final = await read(caseworker, document["id"])
    assert final["revision"] == 2
    assert final["title"] == winner["title"]
    assert (await actions(caseworker, document["id"])).count("document.update") == 1


async def test_document_patch_is_not_made_when_its_audit_event_cannot_be_written(
    store: Store, caseworker: User, document: dict[str, Any]
) -> None:
    await refuse_audit_events(store, "document.update")

    response = await patch(caseworker, document["id"], {"title": "Unaudited"})

    assert_problem(response, 500)
    after = await read(caseworker, document["id"])
    assert (after["revision"], after["title"]) == (1, document["title"])


# Sharing


@pytest.mark.parametrize("shared", [True, False])
async def test_document_sharing_sets_the_flag(
    caseworker: User, document: dict[str, Any], shared: bool
) -> None:
    response = await caseworker.client.put(
        f"/documents/{document['id']}/sharing", json={"shared_with_external": shared}
    )

    assert response.status_code == 200, response.text
    assert response.json()["shared_with_external"] is shared
    assert (await read(caseworker, document["id"]))["shared_with_external"] is shared


async def test_document_sharing_is_audited(caseworker: User, document: dict[str, Any]) -> None:
    response = await caseworker.client.put(
        f"/documents/{document['id']}/sharing", json={"shared_with_external": True}
    )
    assert response.status_code == 200, response.text

    [event] = [
        e for e in await events(caseworker, document["id"]) if e["action"] == "document.sharing"
    ]

    assert event["user"] == caseworker.username
    assert event["detail"] == {"shared_with_external": True}


@pytest.mark.parametrize(
    "body", [{"shared_with_external": "true"}, {"shared_with_external": 1}, {"shared": True}, {}]
)
async def test_document_sharing_without_a_boolean_is_refused(
    caseworker: User, document: dict[str, Any], body: dict[str, Any]
) -> None:
    response = await caseworker.client.put(f"/documents/{document['id']}/sharing", json=body)

    problem = assert_problem(response, 422, "shared_with_external")
    assert error_fields(problem) == {"shared_with_external"}
    assert (await read(caseworker, document["id"]))["shared_with_external"] is False


@pytest.mark.parametrize(
    ("level", "team", "status", "word"),
    [("viewer", "ppcs", 403, "viewer"), ("manager", "elsewhere", 404, "document")],
)
async def test_document_sharing_by_someone_without_the_right_is_refused(
    make_user: MakeUser,
    caseworker: User,
    document: dict[str, Any],
    level: str,
    team: str,
    status: int,
    word: str,
) -> None:
    other = await make_user(level, team=team)

    response = await other.client.put(
        f"/documents/{document['id']}/sharing", json={"shared_with_external": True}
    )

    assert_problem(response, status, word)
    assert (await read(caseworker, document["id"]))["shared_with_external"] is False


async def test_document_sharing_is_not_changed_when_its_audit_event_cannot_be_written(
    store: Store, caseworker: User, document: dict[str, Any]
) -> None:
    await refuse_audit_events(store, "document.sharing")

    response = await caseworker.client.put(
        f"/documents/{document['id']}/sharing", json={"shared_with_external": True}
    )

    assert_problem(response, 500)
    assert (await read(caseworker, document["id"]))["shared_with_external"] is False


# Manifest


async def test_document_manifest_of_an_ordinary_document_is_not_found(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await caseworker.client.get(f"/documents/{document['id']}/manifest")

    assert_problem(response, 404, "dossier")


async def test_document_manifest_of_other_team_document_is_not_found_as_absent(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    stranger = await make_user("caseworker", team="elsewhere")

    hidden = await stranger.client.get(f"/documents/{document['id']}/manifest")
    absent = await stranger.client.get(f"/documents/{UNKNOWN_ID}/manifest")

    assert_problem(hidden, 404, "document")
    assert without_id(hidden, document["id"]) == without_id(absent, UNKNOWN_ID)


# Every route, for an id that is not there


@pytest.mark.parametrize("document_id", [UNKNOWN_ID, "not-an-id"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"title": "x"}),
        ("PUT", "/sharing", {"shared_with_external": True}),
        ("GET", "/manifest", None),
        ("POST", "/lock", {}),
        ("DELETE", "/lock", None),
        ("GET", "/content", None),
        ("GET", "/versions/1/content", None),
    ],
)
async def test_document_routes_for_unknown_id_are_not_found(
    caseworker: User, document_id: str, method: str, path: str, body: Any
) -> None:
    response = await caseworker.client.request(
        method, f"/documents/{document_id}{path}", json=body, headers={"If-Match": '"1"'}
    )

    assert_problem(response, 404, "document", document_id)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"title": "x"}),
        ("PUT", "/sharing", {"shared_with_external": True}),
        ("POST", "/lock", {}),
        ("DELETE", "/lock?force=true", None),
        ("GET", "/content", None),
    ],
)
async def test_document_routes_hide_other_team_documents_as_absent(
    store: Store, make_user: MakeUser, document: dict[str, Any], method: str, path: str, body: Any
) -> None:
    stranger = await make_user("manager", team="elsewhere")
    written_before = await store.db["audit"].count_documents({"user": stranger.username})

    hidden = await stranger.client.request(
        method, f"/documents/{document['id']}{path}", json=body, headers={"If-Match": '"1"'}
    )
    absent = await stranger.client.request(
        method, f"/documents/{UNKNOWN_ID}{path}", json=body, headers={"If-Match": '"1"'}
    )

    assert_problem(hidden, 404, "document")
    assert without_id(hidden, document["id"]) == without_id(absent, UNKNOWN_ID)
    # Refused before anything happened, so nothing was recorded either.
    assert await store.db["audit"].count_documents({"user": stranger.username}) == written_before


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("patch", "/documents/{document_id}", {200, 400, 403, 404, 412, 422, 428}),
        ("put", "/documents/{document_id}/sharing", {200, 400, 403, 404, 422}),
        ("post", "/documents/{document_id}/lock", {200, 400, 403, 404, 409, 422}),
        ("delete", "/documents/{document_id}/lock", {204, 403, 404, 409}),
        ("post", "/documents/{document_id}/versions", {201, 400, 403, 404, 409, 413, 415, 422}),
    ],
)
async def test_document_routes_describe_every_answer_these_tests_see(
    anonymous: httpx.AsyncClient, method: str, path: str, statuses: set[int]
) -> None:
    description = (await anonymous.get("/api/v1/openapi.json")).json()

    described = description["paths"][f"/api/v1{path}"][method]["responses"]

    assert statuses <= {int(status) for status in described}
