"""Check-out locks and version uploads: one holder at a time, and nothing lost in a race."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from records.store import Store
from tests.conftest import CORPUS, Clock, MakeUser, User
from tests.server.test_documents import actions, events, parse_time, read, refuse_audit_events
from tests.server.test_uploads import MULTIPART, assert_problem, closing, error_fields, part

PDF = (CORPUS / "pdf-samples" / "001-trivial" / "minimal-document.pdf").read_bytes()
STORED = ("fs.files", "fs.chunks", "uploads_staging")
# The longest check-out allowed, in minutes.
SEVEN_DAYS = 7 * 24 * 60


def lock_path(document: dict[str, Any]) -> str:
    return f"/documents/{document['id']}/lock"


async def check_out(user: User, document: dict[str, Any], **body: Any) -> httpx.Response:
    return await user.client.post(lock_path(document), json=body)


async def holding(user: User, document: dict[str, Any], **body: Any) -> dict[str, Any]:
    """Check the document out as user, which must succeed."""
    response = await check_out(user, document, **body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def add_version(
    user: User,
    document: dict[str, Any],
    content: bytes = b"the second draft\n",
    filename: str = "draft.txt",
    **fields: str,
) -> httpx.Response:
    return await user.client.post(
        f"/documents/{document['id']}/versions",
        data=fields,
        files={"file": (filename, content, "application/octet-stream")},
    )


async def stored_counts(store: Store) -> dict[str, int]:
    return {name: await store.db[name].count_documents({}) for name in STORED}


# Checking out


async def test_lock_check_out_answers_the_lock(caseworker: User, document: dict[str, Any]) -> None:
    response = await check_out(caseworker, document)

    assert response.status_code == 200, response.text
    lock = response.json()
    assert set(lock) == {"holder", "acquired_at", "expires_at"}
    assert lock["holder"] == caseworker.username
    # An hour unless the client asks otherwise.
    held_for = parse_time(lock["expires_at"]) - parse_time(lock["acquired_at"])
    assert held_for == timedelta(minutes=60)


async def test_lock_check_out_for_the_minutes_asked(
    caseworker: User, document: dict[str, Any]
) -> None:
    lock = await holding(caseworker, document, minutes=15)

    assert parse_time(lock["expires_at"]) - parse_time(lock["acquired_at"]) == timedelta(minutes=15)


async def test_lock_check_out_for_the_longest_allowed_time(
    caseworker: User, document: dict[str, Any]
) -> None:
    lock = await holding(caseworker, document, minutes=SEVEN_DAYS)

    assert parse_time(lock["expires_at"]) - parse_time(lock["acquired_at"]) == timedelta(days=7)


async def test_lock_check_out_without_a_body_is_accepted(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await caseworker.client.post(lock_path(document))

    assert response.status_code == 200, response.text
    assert response.json()["holder"] == caseworker.username


async def test_lock_check_out_shows_on_the_document(
    caseworker: User, document: dict[str, Any]
) -> None:
    lock = await holding(caseworker, document)

    assert (await read(caseworker, document["id"]))["lock"] == lock


async def test_lock_check_out_is_audited(caseworker: User, document: dict[str, Any]) -> None:
    await holding(caseworker, document, minutes=30)

    [event] = [e for e in await events(caseworker, document["id"]) if e["action"] == "lock.acquire"]

    assert event["user"] == caseworker.username
    assert event["detail"] == {"minutes": 30}


@pytest.mark.parametrize("minutes", [0, -1, "ten", True, False, 1.5, SEVEN_DAYS + 1, [5]])
async def test_lock_check_out_with_invalid_minutes_is_refused(
    caseworker: User, document: dict[str, Any], minutes: Any
) -> None:
    response = await check_out(caseworker, document, minutes=minutes)

    body = assert_problem(response, 422, "minutes")
    assert error_fields(body) == {"minutes"}
    assert (await read(caseworker, document["id"]))["lock"] is None


async def test_lock_check_out_body_not_an_object_is_refused(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await caseworker.client.post(lock_path(document), json=[30])

    assert_problem(response, 422, "object")


async def test_lock_check_out_with_an_unknown_field_is_refused(
    caseworker: User, document: dict[str, Any]
) -> None:
    # A misspelt "minutes" would otherwise take a lock for the default hour unawares.
    response = await caseworker.client.post(lock_path(document), json={"mins": 5})

    assert "mins" in error_fields(assert_problem(response, 422, "mins"))
    assert (await read(caseworker, document["id"]))["lock"] is None


async def test_lock_check_out_body_not_json_is_malformed(
    caseworker: User, document: dict[str, Any]
) -> None:
    response = await caseworker.client.post(
        lock_path(document), content=b"minutes=30", headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400, "JSON")


async def test_lock_check_out_again_by_the_holder_renews_it(
    caseworker: User, document: dict[str, Any], clock: Clock
) -> None:
    first = await holding(caseworker, document, minutes=10)
    clock.advance(minutes=5)

    renewed = await holding(caseworker, document, minutes=10)

    assert parse_time(renewed["expires_at"]) - parse_time(first["expires_at"]) == timedelta(
        minutes=5
    )


async def test_lock_check_out_by_a_second_user_names_the_holder(
    make_user: MakeUser, caseworker: User, document: dict[str, Any]
) -> None:
    lock = await holding(caseworker, document)
    colleague = await make_user("caseworker")

    response = await check_out(colleague, document)

    assert_problem(response, 409, caseworker.username)
    assert (await read(colleague, document["id"]))["lock"] == lock


async def test_lock_check_out_by_viewer_is_forbidden(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")

    response = await check_out(viewer, document)

    assert_problem(response, 403, "viewer")
    assert (await read(viewer, document["id"]))["lock"] is None


async def test_lock_race_lets_exactly_one_user_check_out(
    make_user: MakeUser, document: dict[str, Any]
) -> None:
    contenders = [await make_user("caseworker") for _ in range(10)]

    responses = await asyncio.gather(*(check_out(user, document) for user in contenders))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * 9, [r.text for r in responses]
    [winner] = [r.json()["holder"] for r in responses if r.status_code == 200]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, winner)
    assert (await read(contenders[0], document["id"]))["lock"]["holder"] == winner


async def test_lock_race_with_a_release_never_fails_a_check_out(
    make_user: MakeUser, caseworker: User, document: dict[str, Any]
) -> None:
    contenders = [await make_user("caseworker") for _ in range(5)]

    # A lock released between a refused take and the read naming its holder
    # once made the server fail; many rounds make that window likely to be hit.
    for _ in range(20):
        await holding(caseworker, document)
        responses = await asyncio.gather(
            caseworker.client.delete(lock_path(document)),
            *(check_out(user, document) for user in contenders),
        )

        assert responses[0].status_code == 204, responses[0].text
        taken = [r for r in responses[1:] if r.status_code == 200]
        assert len(taken) <= 1, [r.text for r in responses]
        assert {r.status_code for r in responses[1:]} <= {200, 409}, [r.text for r in responses]
        if taken:
            winner = next(u for u in contenders if u.username == taken[0].json()["holder"])
            assert (await winner.client.delete(lock_path(document))).status_code == 204


async def test_lock_expired_can_be_taken_by_another_user(
    make_user: MakeUser, caseworker: User, document: dict[str, Any], clock: Clock
) -> None:
    await holding(caseworker, document, minutes=1)
    colleague = await make_user("caseworker")
    clock.advance(minutes=1, seconds=1)

    response = await check_out(colleague, document)

    assert response.status_code == 200, response.text
    assert response.json()["holder"] == colleague.username


async def test_lock_expired_shows_as_no_lock(
    caseworker: User, document: dict[str, Any], clock: Clock
) -> None:
    await holding(caseworker, document, minutes=1)

    clock.advance(minutes=2)

    assert (await read(caseworker, document["id"]))["lock"] is None


async def test_lock_not_yet_expired_still_holds(
    make_user: MakeUser, caseworker: User, document: dict[str, Any], clock: Clock
) -> None:
    await holding(caseworker, document, minutes=1)
    colleague = await make_user("caseworker")
    clock.advance(seconds=59)

    response = await check_out(colleague, document)

    assert_problem(response, 409, caseworker.username)


async def test_lock_is_not_taken_when_its_audit_event_cannot_be_written(
    store: Store, caseworker: User, document: dict[str, Any]
) -> None:
    await refuse_audit_events(store, "lock.acquire")

    response = await check_out(caseworker, document)

    assert_problem(response, 500)
    assert (await read(caseworker, document["id"]))["lock"] is None


# Releasing


async def test_lock_release_by_holder_frees_the_document(
    make_user: MakeUser, caseworker: User, document: dict[str, Any]
) -> None:
    await holding(caseworker, document)

    response = await caseworker.client.delete(lock_path(document))

    assert response.status_code == 204, response.text
    assert (await read(caseworker, document["id"]))["lock"] is None
    assert "lock.release" in await actions(caseworker, document["id"])
    colleague = await make_user("caseworker")
    await holding(colleague, document)


async def test_lock_is_kept_when_its_release_cannot_be_audited(
    store: Store, caseworker: User, document: dict[str, Any]
) -> None:
    lock = await holding(caseworker, document)
    await refuse_audit_events(store, "lock.release")

    response = await caseworker.client.delete(lock_path(document))

    assert_problem(response, 500)
    assert (await read(caseworker, document["id"]))["lock"] == lock


async def test_lock_release_twice_at_once_is_audited_once(
    caseworker: User, document: dict[str, Any]
) -> None:
    await holding(caseworker, document)

    responses = await asyncio.gather(
        *(caseworker.client.delete(lock_path(document)) for _ in range(5))
    )

    assert {response.status_code for response in responses} == {204}
    # Only the release that freed the lock happened; the others found it free.
    assert (await actions(caseworker, document["id"])).count("lock.release") == 1


# Who may not release another's lock, and what each is told; the lock stays.
RELEASE_REFUSALS = [
    ("caseworker", "ppcs", False, 409, "holder"),
    ("caseworker", "ppcs", True, 403, "manager"),
    ("viewer", "ppcs", True, 403, "viewer"),
    ("manager", "ppcs", False, 409, "holder"),
    ("manager", "elsewhere", True, 404, "document"),
]


@pytest.mark.parametrize(("level", "team", "force", "status", "word"), RELEASE_REFUSALS)
async def test_lock_release_by_someone_else_is_refused_and_keeps_the_lock(
    make_user: MakeUser,
    caseworker: User,
    document: dict[str, Any],
    level: str,
    team: str,
    force: bool,
    status: int,
    word: str,
) -> None:
    lock = await holding(caseworker, document)
    other = await make_user(level, team=team)
    params = {"force": "true"} if force else {}

    response = await other.client.delete(lock_path(document), params=params)

    detail = assert_problem(response, status)["detail"]
    assert (caseworker.username if word == "holder" else word) in detail
    assert (await read(caseworker, document["id"]))["lock"] == lock


@pytest.mark.parametrize("level", ["manager", "admin"])
async def test_lock_force_release_by_manager_or_admin_is_audited(
    make_user: MakeUser, caseworker: User, document: dict[str, Any], level: str
) -> None:
    await holding(caseworker, document)
    supervisor = await make_user(level)

    response = await force(supervisor, document, reason="Holder on leave", code=supervisor.totp())

    assert response.status_code == 204, response.text
    assert (await read(supervisor, document["id"]))["lock"] is None
    [event] = [
        e for e in await events(supervisor, document["id"]) if e["action"] == "lock.force_release"
    ]
    assert event["user"] == supervisor.username
    assert event["detail"] == {
        "holder": caseworker.username,
        "reason": "Holder on leave",
        "factor": "totp",
    }


async def force(user: User, document: dict[str, Any], **body: Any) -> httpx.Response:
    return await user.client.request(
        "DELETE", lock_path(document), params={"force": "true"}, json=body or None
    )


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({}, 422, "reason"),
        ({"reason": "Holder on leave"}, 422, "code"),
        ({"reason": "Holder on leave", "code": "000000"}, 403, "not right"),
        ({"reason": "", "code": "123456"}, 422, "reason"),
    ],
)
async def test_lock_force_release_needs_a_reason_and_the_second_factor_again(
    make_user: MakeUser,
    caseworker: User,
    document: dict[str, Any],
    body: dict[str, Any],
    status: int,
    words: str,
) -> None:
    lock = await holding(caseworker, document)
    manager = await make_user("manager")

    response = await force(manager, document, **body)

    assert_problem(response, status, words)
    assert (await read(caseworker, document["id"]))["lock"] == lock


# Adding versions


async def test_version_by_holder_is_added_and_keeps_the_lock(
    caseworker: User, document: dict[str, Any]
) -> None:
    lock = await holding(caseworker, document)

    response = await add_version(caseworker, document, comment="second draft")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 2
    assert body["current_version"] == 2
    assert body["versions"][-1]["comment"] == "second draft"
    assert body["versions"][-1]["created_by"] == caseworker.username
    assert body["lock"] == lock


async def test_version_is_audited(caseworker: User, document: dict[str, Any]) -> None:
    content = b"audited draft\n"

    response = await add_version(caseworker, document, content)
    assert response.status_code == 201, response.text

    [event] = [
        e for e in await events(caseworker, document["id"]) if e["action"] == "version.create"
    ]
    assert event["detail"] == {
        "version": 2,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "check_in": False,
    }


async def test_version_by_third_party_while_locked_is_refused_and_stores_nothing(
    store: Store, make_user: MakeUser, caseworker: User, document: dict[str, Any]
) -> None:
    await holding(caseworker, document)
    colleague = await make_user("caseworker")
    before = await stored_counts(store)
    # Several GridFS chunks' worth, so any streaming before the refusal would show.
    content = b"%PDF-1.4\n" + random.Random(3).randbytes(300_000)

    response = await add_version(colleague, document, content, "mine.pdf")

    assert_problem(response, 409, caseworker.username)
    assert await stored_counts(store) == before
    after = await read(caseworker, document["id"])
    assert after["current_version"] == 1
    assert len(after["versions"]) == 1
    assert "version.create" not in await actions(colleague, document["id"])


async def test_version_refused_when_a_lock_is_taken_while_its_bytes_stream_in(
    store: Store, make_user: MakeUser, caseworker: User, document: dict[str, Any]
) -> None:
    colleague = await make_user("caseworker")
    before = await stored_counts(store)
    whole = part("file", b"%PDF-1.4\n" + random.Random(5).randbytes(300_000), filename=b"late.pdf")
    half_sent, lock_taken = asyncio.Event(), asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield whole[:150_000]
        # The transport asks for more only once the server has taken the first half.
        half_sent.set()
        await lock_taken.wait()
        yield whole[150_000:] + closing()

    sending = asyncio.create_task(
        colleague.client.post(
            f"/documents/{document['id']}/versions",
            content=body(),
            headers={"Content-Type": MULTIPART},
        )
    )
    await half_sent.wait()
    assert await store.db["uploads_staging"].count_documents({}) == 1
    await holding(caseworker, document)
    lock_taken.set()
    response = await sending

    assert_problem(response, 409, caseworker.username)
    assert await stored_counts(store) == before
    assert (await read(caseworker, document["id"]))["current_version"] == 1


async def test_version_by_third_party_after_the_lock_expired_is_added(
    make_user: MakeUser, caseworker: User, document: dict[str, Any], clock: Clock
) -> None:
    await holding(caseworker, document, minutes=1)
    colleague = await make_user("caseworker")
    clock.advance(minutes=2)

    response = await add_version(colleague, document)

    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2


async def test_version_with_check_in_releases_the_lock(
    make_user: MakeUser, caseworker: User, document: dict[str, Any]
) -> None:
    await holding(caseworker, document)

    response = await add_version(caseworker, document, check_in="true")

    assert response.status_code == 201, response.text
    assert response.json()["lock"] is None
    assert (await read(caseworker, document["id"]))["lock"] is None
    colleague = await make_user("caseworker")
    await holding(colleague, document)


async def test_version_with_check_in_false_keeps_the_lock(
    caseworker: User, document: dict[str, Any]
) -> None:
    lock = await holding(caseworker, document)

    response = await add_version(caseworker, document, check_in="false")

    assert response.status_code == 201, response.text
    assert response.json()["lock"] == lock


async def test_version_with_check_in_not_a_boolean_is_refused_and_stores_nothing(
    store: Store, caseworker: User, document: dict[str, Any]
) -> None:
    before = await stored_counts(store)

    response = await add_version(caseworker, document, check_in="perhaps")

    body = assert_problem(response, 422, "check_in")
    assert error_fields(body) == {"check_in"}
    assert await stored_counts(store) == before
    assert (await read(caseworker, document["id"]))["current_version"] == 1


async def test_version_by_viewer_is_forbidden(
    store: Store, make_user: MakeUser, document: dict[str, Any]
) -> None:
    viewer = await make_user("viewer")
    before = await stored_counts(store)

    response = await add_version(viewer, document)

    assert_problem(response, 403, "viewer")
    assert await stored_counts(store) == before


async def test_version_by_other_team_is_not_found(
    store: Store, make_user: MakeUser, document: dict[str, Any]
) -> None:
    stranger = await make_user("manager", team="elsewhere")
    before = await stored_counts(store)

    response = await add_version(stranger, document)

    assert_problem(response, 404, "document")
    assert await stored_counts(store) == before


async def test_version_appends_at_once_all_succeed_with_distinct_numbers(
    store: Store, caseworker: User, document: dict[str, Any]
) -> None:
    contents = [f"draft number {n}\n".encode() for n in range(40)]

    # Every append reads current_version 1 first; the transaction retry must
    # give each its own number rather than fail or overwrite one another.
    responses = await asyncio.gather(*(add_version(caseworker, document, c) for c in contents))

    assert [r.status_code for r in responses] == [201] * 40, [r.text for r in responses]
    assert sorted(r.json()["version"] for r in responses) == list(range(2, 42))
    final = await read(caseworker, document["id"])
    assert final["current_version"] == 41
    assert [v["number"] for v in final["versions"]] == list(range(1, 42))
    by_hash = {v["sha256"] for v in final["versions"][1:]}
    assert by_hash == {hashlib.sha256(c).hexdigest() for c in contents}
    assert await store.db["fs.files"].count_documents({}) == 41
    assert await store.db["uploads_staging"].count_documents({}) == 0


async def test_version_one_downloads_unchanged_after_version_two(
    caseworker: User, document: dict[str, Any]
) -> None:
    second = b"%PDF-1.4\n" + random.Random(4).randbytes(150_000)
    added = await add_version(caseworker, document, second, "second.pdf")
    assert added.status_code == 201, added.text

    first = await caseworker.client.get(f"/documents/{document['id']}/versions/1/content")
    current = await caseworker.client.get(f"/documents/{document['id']}/content")

    assert first.status_code == 200, first.text
    assert first.content == PDF
    assert first.headers["ETag"].strip('"') == hashlib.sha256(PDF).hexdigest()
    assert current.status_code == 200, current.text
    assert current.content == second


async def test_version_numbers_in_the_url_that_do_not_exist_are_not_found(
    caseworker: User, document: dict[str, Any]
) -> None:
    for number in ("2", "0", "-1", "two"):
        response = await caseworker.client.get(
            f"/documents/{document['id']}/versions/{number}/content"
        )

        assert_problem(response, 404, "version")
