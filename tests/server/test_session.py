from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace
from typing import Any

import httpx
import pyotp
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from records import credentials, users
from records.actors import SYSTEM
from records.store import Store
from server.app import create_app
from server.config import Settings
from tests.conftest import PASSWORD, Clock, MakeUser, User

PROBLEM_JSON = "application/problem+json"
MISSING_ID = "0123456789abcdef01234567"
GENERIC_FAILURE = "username, password or code is not right"
# Routes a client may call before signing in.
OPEN_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/openapi.json"),
    ("POST", "/session"),
}


def wrong_code(secret: str) -> str:
    """A six-digit code that no step near now accepts."""
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // totp.interval
    valid = {totp.generate_otp(s) for s in range(step - 2, step + 3)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str, totp: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/session", json={"username": username, "password": password, "totp": totp}
    )


@pytest.fixture
async def signed_in(anonymous: httpx.AsyncClient, caseworker: User) -> dict[str, Any]:
    """The anonymous client, now holding caseworker's session cookie."""
    response = await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())
    assert response.status_code == 200, response.text
    return dict(response.json())


def api_routes(app: Starlette) -> list[tuple[str, str]]:
    """Every (method, path) under /api/v1, with made-up values for path parameters."""
    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1")
    found = []
    for route in mount.routes:
        assert isinstance(route, Route)
        path = re.sub(
            r"\{(\w+)(?::\w+)?\}",
            lambda m: "1" if m.group(1) == "number" else MISSING_ID,
            route.path,
        )
        found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


async def test_session_sign_in_answers_200_with_csrf_token(
    anonymous: httpx.AsyncClient, caseworker: User
) -> None:
    response = await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == caseworker.username
    assert body["level"] == "caseworker"
    assert isinstance(body["csrf_token"], str) and len(body["csrf_token"]) >= 16


async def test_session_sign_in_sets_an_http_only_same_site_strict_cookie(
    anonymous: httpx.AsyncClient, caseworker: User
) -> None:
    response = await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())

    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert cookie.startswith("ppud_session=")
    assert "httponly" in attributes
    assert attributes["samesite"].strip().lower() == "samesite=strict"
    assert attributes["path"].strip() == "Path=/"
    # Local development runs over plain HTTP, so the cookie cannot be Secure there.
    assert "secure" not in attributes


async def test_session_cookie_is_secure_outside_development(
    settings: Settings, store: Store, caseworker: User
) -> None:
    production = create_app(replace(settings, environment="production"), store=store)

    async with production.router.lifespan_context(production):
        transport = httpx.ASGITransport(app=production)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            response = await sign_in(client, caseworker.username, PASSWORD, caseworker.totp())

    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower().replace(" ", "").split(";")


async def test_session_sign_in_ignores_username_case(
    anonymous: httpx.AsyncClient, caseworker: User
) -> None:
    response = await sign_in(anonymous, caseworker.username.upper(), PASSWORD, caseworker.totp())

    assert response.status_code == 200
    assert response.json()["username"] == caseworker.username


async def test_session_sign_in_refuses_a_replayed_code(
    anonymous: httpx.AsyncClient, caseworker: User
) -> None:
    code = caseworker.totp()
    first = await sign_in(anonymous, caseworker.username, PASSWORD, code)

    replayed = await sign_in(anonymous, caseworker.username, PASSWORD, code)

    assert first.status_code == 200
    assert replayed.status_code == 401
    assert replayed.json()["detail"] == GENERIC_FAILURE


async def test_session_sign_in_failures_all_give_the_same_401(
    anonymous: httpx.AsyncClient, caseworker: User
) -> None:
    wrong_password = await sign_in(
        anonymous, caseworker.username, "not the password at all", caseworker.totp()
    )
    unknown_user = await sign_in(anonymous, "nobody-here", PASSWORD, caseworker.totp())
    bad_code = await sign_in(
        anonymous, caseworker.username, PASSWORD, wrong_code(caseworker.totp_secret)
    )

    for response in (wrong_password, unknown_user, bad_code):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert response.json()["detail"] == GENERIC_FAILURE
        assert "set-cookie" not in response.headers
    assert wrong_password.json() == unknown_user.json() == bad_code.json()


async def test_session_wrong_password_does_not_use_up_the_code(
    anonymous: httpx.AsyncClient, caseworker: User
) -> None:
    code = caseworker.totp()
    refused = await sign_in(anonymous, caseworker.username, "not the password at all", code)

    accepted = await sign_in(anonymous, caseworker.username, PASSWORD, code)

    assert refused.status_code == 401
    assert accepted.status_code == 200


async def test_session_user_without_password_cannot_sign_in(
    anonymous: httpx.AsyncClient, store: Store
) -> None:
    created = await users.create_user(store, SYSTEM, "tokens-only", level="viewer", team="ppcs")

    response = await sign_in(
        anonymous, "tokens-only", PASSWORD, pyotp.TOTP(created.totp_secret).now()
    )

    assert response.status_code == 401
    assert response.json()["detail"] == GENERIC_FAILURE


async def test_session_sign_in_keeps_spaces_in_a_password(
    anonymous: httpx.AsyncClient, store: Store
) -> None:
    spaced = "  a passphrase with spaces around it  "
    created = await users.create_user(
        store, SYSTEM, "spaced", level="viewer", team="ppcs", password=spaced
    )

    response = await sign_in(anonymous, "spaced", spaced, pyotp.TOTP(created.totp_secret).now())

    # The password is set as given (ppud users create --password-stdin keeps
    # spaces), so signing in must compare it as given too.
    assert response.status_code == 200, response.text


async def test_session_sign_in_names_missing_fields(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post("/api/v1/session", json={"username": "someone"})

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"password", "totp"}


async def test_session_five_failures_lock_the_account_out(
    anonymous: httpx.AsyncClient, caseworker: User
) -> None:
    for _ in range(5):
        failed = await sign_in(anonymous, caseworker.username, "wrong password!!", "123456")
        assert failed.status_code == 401

    locked = await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())

    assert locked.status_code == 429
    assert locked.headers["content-type"].startswith(PROBLEM_JSON)
    assert "set-cookie" not in locked.headers
    # RFC 9110 section 10.2.3: say when to come back, within the 15-minute window.
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60


async def test_session_racing_wrong_passwords_try_no_more_than_five(
    anonymous: httpx.AsyncClient, caseworker: User
) -> None:
    attempts = [
        sign_in(anonymous, caseworker.username, f"wrong password {n:03}", "123456")
        for n in range(40)
    ]

    answers = [response.status_code for response in await asyncio.gather(*attempts)]

    # A 401 means the password was really checked; the lock-out holds under a race.
    assert answers.count(401) <= 5
    assert set(answers) <= {401, 429}
    assert answers.count(429) >= 35


async def test_session_lock_out_opens_when_the_failures_age_out(
    anonymous: httpx.AsyncClient, caseworker: User, clock: Clock
) -> None:
    for _ in range(5):
        await sign_in(anonymous, caseworker.username, "wrong password!!", "123456")
        clock.advance(minutes=1)
    locked = await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())

    # The first failure leaves the window 15 minutes after it: 10 minutes from now.
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) == 10 * 60
    clock.advance(minutes=10)
    assert (
        await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())
    ).status_code == 200


async def test_session_lock_out_is_lifted_by_unlock(
    anonymous: httpx.AsyncClient, caseworker: User, store: Store
) -> None:
    for _ in range(5):
        await sign_in(anonymous, caseworker.username, "wrong password!!", "123456")
    assert (
        await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())
    ).status_code == 429

    await credentials.unlock(store, SYSTEM, caseworker.username)

    response = await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())
    assert response.status_code == 200


async def test_session_lock_out_is_per_user(
    anonymous: httpx.AsyncClient, make_user: MakeUser
) -> None:
    locked = await make_user("caseworker")
    other = await make_user("caseworker")
    for _ in range(5):
        await sign_in(anonymous, locked.username, "wrong password!!", "123456")

    response = await sign_in(anonymous, other.username, PASSWORD, other.totp())

    assert response.status_code == 200


async def test_session_cookie_lets_the_browser_read(
    anonymous: httpx.AsyncClient, caseworker: User, signed_in: dict[str, Any]
) -> None:
    response = await anonymous.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["username"] == caseworker.username


async def test_session_cookie_write_without_csrf_token_is_403(
    anonymous: httpx.AsyncClient, signed_in: dict[str, Any]
) -> None:
    body = {"family_name": "Csrf", "given_names": "Test", "date_of_birth": "1980-01-01"}

    missing = await anonymous.post("/api/v1/offenders", json=body)
    wrong = await anonymous.post(
        "/api/v1/offenders", json=body, headers={"X-CSRF-Token": "not-the-token"}
    )

    assert missing.status_code == 403
    assert missing.headers["content-type"].startswith(PROBLEM_JSON)
    assert wrong.status_code == 403
    listed = await anonymous.get("/api/v1/offenders", params={"q": "Csrf"})
    assert listed.json()["items"] == []


async def test_session_cookie_write_with_csrf_token_works(
    anonymous: httpx.AsyncClient, signed_in: dict[str, Any]
) -> None:
    body = {"family_name": "Csrf", "given_names": "Test", "date_of_birth": "1980-01-01"}

    response = await anonymous.post(
        "/api/v1/offenders", json=body, headers={"X-CSRF-Token": signed_in["csrf_token"]}
    )

    assert response.status_code == 201


async def test_session_sign_out_ends_the_session(
    app: Starlette, anonymous: httpx.AsyncClient, signed_in: dict[str, Any]
) -> None:
    key = anonymous.cookies["ppud_session"]

    response = await anonymous.delete(
        "/api/v1/session", headers={"X-CSRF-Token": signed_in["csrf_token"]}
    )

    assert response.status_code == 204
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as replay:
        reused = await replay.get("/api/v1/me", headers={"Cookie": f"ppud_session={key}"})
    assert reused.status_code == 401


async def test_session_sign_out_needs_the_csrf_token(
    anonymous: httpx.AsyncClient, signed_in: dict[str, Any]
) -> None:
    response = await anonymous.delete("/api/v1/session")

    assert response.status_code == 403
    assert (await anonymous.get("/api/v1/me")).status_code == 200


async def test_session_unknown_cookie_is_401(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/v1/me", headers={"Cookie": "ppud_session=made-up"})

    assert response.status_code == 401


async def test_session_every_api_route_needs_credentials(
    app: Starlette, anonymous: httpx.AsyncClient
) -> None:
    routes = api_routes(app)

    answers = {
        (method, path): await anonymous.request(method, f"/api/v1{path}")
        for method, path in routes
        if (method, path) not in OPEN_ROUTES
    }

    assert len(answers) >= 20
    assert ("POST", f"/documents/{MISSING_ID}/versions") in answers
    assert ("GET", "/audit") in answers
    for (method, path), response in answers.items():
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"].startswith(PROBLEM_JSON), (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer"), (method, path)


async def test_session_open_routes_answer_without_credentials(
    anonymous: httpx.AsyncClient,
) -> None:
    answers = {
        (method, path): await anonymous.request(method, f"/api/v1{path}")
        for method, path in OPEN_ROUTES
    }

    for (method, path), response in answers.items():
        assert response.status_code != 401, (method, path)


async def test_session_bad_bearer_token_is_401_with_www_authenticate(
    anonymous: httpx.AsyncClient,
) -> None:
    response = await anonymous.get(
        "/api/v1/me", headers={"Authorization": "Bearer ppud_not-a-real-token"}
    )

    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["www-authenticate"] == 'Bearer realm="ppud"'


async def test_session_me_describes_the_caller(caseworker: User) -> None:
    response = await caseworker.client.get("/me")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == caseworker.id
    assert body["username"] == caseworker.username
    assert body["level"] == "caseworker"
    assert body["team"] == "ppcs"
    assert body["external"] is False
    assert "password_hash" not in body
    assert "totp_secret" not in body


async def test_tokens_list_shows_the_callers_tokens_without_secrets(
    make_user: MakeUser, store: Store
) -> None:
    owner = await make_user("caseworker")
    other = await make_user("caseworker")
    extra = await credentials.create_token(store, SYSTEM, owner.username, label="laptop")

    response = await owner.client.get("/tokens")

    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 2
    assert items[1] == {
        "id": extra.id,
        "label": "laptop",
        "revoked": False,
        "created_at": items[1]["created_at"],
    }
    assert all(set(item) == {"id", "label", "revoked", "created_at"} for item in items)
    for secret in (owner.token, extra.token, other.token):
        assert secret not in response.text


async def test_tokens_revoke_stops_the_token_working(
    app: Starlette, caseworker: User, store: Store
) -> None:
    extra = await credentials.create_token(store, SYSTEM, caseworker.username)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {extra.token}"},
    ) as by_extra:
        assert (await by_extra.get("/me")).status_code == 200

        revoked = await caseworker.client.delete(f"/tokens/{extra.id}")

        assert revoked.status_code == 204
        refused = await by_extra.get("/me")
        assert refused.status_code == 401
    listed = (await caseworker.client.get("/tokens")).json()["items"]
    assert {item["id"]: item["revoked"] for item in listed}[extra.id] is True
    assert (await caseworker.client.get("/me")).status_code == 200


async def test_tokens_revoke_of_someone_elses_token_is_404(
    make_user: MakeUser, store: Store
) -> None:
    owner = await make_user("caseworker")
    intruder = await make_user("manager")
    token_id = (await owner.client.get("/tokens")).json()["items"][0]["id"]

    response = await intruder.client.delete(f"/tokens/{token_id}")

    assert response.status_code == 404
    assert (await owner.client.get("/me")).status_code == 200


async def test_tokens_revoke_of_any_token_by_an_admin(make_user: MakeUser) -> None:
    owner = await make_user("caseworker")
    admin = await make_user("admin", team="hq")
    token_id = (await owner.client.get("/tokens")).json()["items"][0]["id"]

    response = await admin.client.delete(f"/tokens/{token_id}")

    assert response.status_code == 204
    assert (await owner.client.get("/me")).status_code == 401


async def test_tokens_revoke_of_an_unknown_or_malformed_id_is_404(caseworker: User) -> None:
    unknown = await caseworker.client.delete(f"/tokens/{MISSING_ID}")
    malformed = await caseworker.client.delete("/tokens/nonsense")

    assert unknown.status_code == 404
    assert malformed.status_code == 404


async def test_session_ends_after_30_idle_minutes_and_stays_while_used(
    anonymous: httpx.AsyncClient, caseworker: User, clock: Clock
) -> None:
    response = await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())
    assert response.status_code == 200, response.text

    for _ in range(3):
        clock.advance(minutes=25)
        assert (await anonymous.get("/api/v1/me")).status_code == 200
    clock.advance(minutes=31)

    assert (await anonymous.get("/api/v1/me")).status_code == 401


async def test_session_ends_12_hours_after_sign_in_however_busy(
    anonymous: httpx.AsyncClient, caseworker: User, clock: Clock
) -> None:
    response = await sign_in(anonymous, caseworker.username, PASSWORD, caseworker.totp())
    assert response.status_code == 200, response.text

    for _ in range(28):  # every 25 minutes, for 11 h 40 min
        clock.advance(minutes=25)
        assert (await anonymous.get("/api/v1/me")).status_code == 200
    clock.advance(minutes=25)

    assert (await anonymous.get("/api/v1/me")).status_code == 401


async def test_session_sign_out_everywhere_ends_every_browser_session(
    app: Starlette, caseworker: User
) -> None:
    browsers = []
    totp = pyotp.TOTP(caseworker.totp_secret)
    # A code is accepted once: the second browser uses the next step's (allowed as skew).
    for ahead in (-30, 0):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.8", 41001))
        browser = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        code = totp.at(time.time() + ahead)
        response = await sign_in(browser, caseworker.username, PASSWORD, code)
        assert response.status_code == 200, response.text
        browsers.append(browser)

    ended = await caseworker.client.delete("/sessions")

    assert ended.status_code == 200 and ended.json() == {"ended": 2}
    for browser in browsers:
        assert (await browser.get("/api/v1/me")).status_code == 401
        await browser.aclose()
    # The bearer token that asked is not a session, and still works.
    assert (await caseworker.client.get("/me")).status_code == 200


async def test_session_api_answers_carry_the_security_headers(caseworker: User) -> None:
    response = await caseworker.client.get("/me")

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # Local development is plain HTTP: no HSTS there.
    assert "strict-transport-security" not in response.headers
