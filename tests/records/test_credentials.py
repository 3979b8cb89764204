"""Second factors: the browser's two-step sign-in, first-sign-in enrolment, recovery codes."""

from __future__ import annotations

import asyncio
from typing import Any

import pyotp
import pytest

from records import credentials, users
from records.actors import SYSTEM
from records.errors import Conflict, TooManyAttempts, Unauthenticated
from records.store import Store

PASSWORD = "a long enough pass phrase"


async def _user(store: Store, name: str = "kim", *, with_totp: bool = True) -> users.NewUser:
    return await users.create_user(
        store, SYSTEM, name, level="caseworker", team="ppcs", password=PASSWORD, with_totp=with_totp
    )


async def _stored(store: Store, name: str = "kim") -> dict[str, Any]:
    found = await users.find_by_username(store, name)
    assert found is not None
    return found


async def _enrolled_with_codes(store: Store) -> list[str]:
    """Kim, enrolled through the browser's steps; the recovery codes she was shown."""
    await _user(store, with_totp=False)
    pending = await credentials.begin_sign_in(store, "kim", PASSWORD, ip=None)
    offered = await credentials.pending_enrolment(store, pending.key)
    _, codes = await credentials.finish_enrolment(
        store, pending.key, pyotp.TOTP(offered.secret).now(), ip=None
    )
    return codes


async def test_user_create_without_totp_has_no_secret_until_enrolment(store: Store) -> None:
    created = await _user(store, with_totp=False)

    assert created.totp_secret is None
    assert (await _stored(store))["totp_secret"] is None


async def test_sign_in_of_a_user_without_a_factor_is_refused_even_with_a_code(
    store: Store,
) -> None:
    await _user(store, with_totp=False)

    with pytest.raises(Unauthenticated):
        await credentials.sign_in(store, "kim", PASSWORD, "123456", ip=None)


async def test_begin_sign_in_with_a_factor_asks_for_the_code(store: Store) -> None:
    created = await _user(store)

    pending = await credentials.begin_sign_in(store, "Kim", PASSWORD, ip=None)
    assert created.totp_secret is not None
    session = await credentials.finish_sign_in(
        store, pending.key, pyotp.TOTP(created.totp_secret).now(), ip="192.0.2.1"
    )

    assert not pending.enrolling
    actor, csrf = await credentials.session_actor(store, session.key)
    assert actor.username == "kim"
    assert csrf == session.csrf_token


async def test_begin_sign_in_refuses_a_wrong_password_with_the_generic_message(
    store: Store,
) -> None:
    await _user(store)

    with pytest.raises(Unauthenticated) as refused:
        await credentials.begin_sign_in(store, "kim", "not the password at all", ip=None)

    assert refused.value.detail == credentials.GENERIC_FAILURE


async def test_finish_sign_in_refuses_a_wrong_code_and_counts_it(store: Store) -> None:
    await _user(store)
    pending = await credentials.begin_sign_in(store, "kim", PASSWORD, ip=None)

    for _ in range(credentials.LOCKOUT_THRESHOLD):
        with pytest.raises(Unauthenticated) as refused:
            await credentials.finish_sign_in(store, pending.key, "000000", ip=None)
        assert refused.value.detail == credentials.WRONG_CODE

    with pytest.raises(TooManyAttempts):
        await credentials.finish_sign_in(store, pending.key, "000000", ip=None)


async def test_finish_sign_in_uses_a_pending_sign_in_once(store: Store) -> None:
    created = await _user(store)
    assert created.totp_secret is not None
    pending = await credentials.begin_sign_in(store, "kim", PASSWORD, ip=None)
    await credentials.finish_sign_in(
        store, pending.key, pyotp.TOTP(created.totp_secret).now(), ip=None
    )

    with pytest.raises(Unauthenticated) as refused:
        await credentials.finish_sign_in(store, pending.key, "123456", ip=None)

    assert "expired" in refused.value.detail


async def test_finish_sign_in_of_an_unknown_key_is_refused(store: Store) -> None:
    with pytest.raises(Unauthenticated):
        await credentials.finish_sign_in(store, "made-up", "123456", ip=None)


async def test_enrolment_offers_a_secret_and_a_link_for_the_authenticator(store: Store) -> None:
    await _user(store, with_totp=False)

    pending = await credentials.begin_sign_in(store, "kim", PASSWORD, ip=None)
    offered = await credentials.pending_enrolment(store, pending.key)

    assert pending.enrolling
    assert len(offered.secret) == 32
    assert offered.provisioning_uri.startswith("otpauth://totp/PPUD:kim?secret=")
    assert (await _stored(store))["totp_secret"] is None  # not until a code proves it


async def test_enrolment_with_the_right_code_stores_the_factor_and_recovery_codes(
    store: Store,
) -> None:
    codes = await _enrolled_with_codes(store)

    stored = await _stored(store)
    assert stored["totp_secret"]
    assert len(codes) == credentials.RECOVERY_CODE_COUNT
    assert len(set(codes)) == len(codes)
    # Only hashes are kept.
    assert not set(codes) & set(stored["recovery_codes"])
    assert len(stored["recovery_codes"]) == len(codes)


async def test_enrolment_with_a_wrong_code_stores_nothing(store: Store) -> None:
    await _user(store, with_totp=False)
    pending = await credentials.begin_sign_in(store, "kim", PASSWORD, ip=None)

    with pytest.raises(Unauthenticated):
        await credentials.finish_enrolment(store, pending.key, "000000", ip=None)

    assert (await _stored(store))["totp_secret"] is None
    await credentials.pending_enrolment(store, pending.key)  # still open for another try


async def test_enrolment_racing_another_leaves_one_factor(store: Store) -> None:
    await _user(store, with_totp=False)
    first = await credentials.begin_sign_in(store, "kim", PASSWORD, ip=None)
    second = await credentials.begin_sign_in(store, "kim", PASSWORD, ip=None)
    secrets = [(await credentials.pending_enrolment(store, p.key)).secret for p in (first, second)]

    await credentials.finish_enrolment(store, first.key, pyotp.TOTP(secrets[0]).now(), ip=None)
    with pytest.raises(Conflict):
        await credentials.finish_enrolment(store, second.key, pyotp.TOTP(secrets[1]).now(), ip=None)

    assert (await _stored(store))["totp_secret"] == secrets[0]


async def test_recovery_code_signs_in_in_place_of_a_totp_code(store: Store) -> None:
    codes = await _enrolled_with_codes(store)

    session = await credentials.sign_in(store, "kim", PASSWORD, codes[3].upper(), ip=None)

    assert session.actor.username == "kim"
    assert len((await _stored(store))["recovery_codes"]) == len(codes) - 1


async def test_recovery_code_works_once(store: Store) -> None:
    codes = await _enrolled_with_codes(store)
    await credentials.sign_in(store, "kim", PASSWORD, codes[0], ip=None)

    with pytest.raises(Unauthenticated):
        await credentials.sign_in(store, "kim", PASSWORD, codes[0], ip=None)


async def test_recovery_code_racing_itself_signs_in_once(store: Store) -> None:
    codes = await _enrolled_with_codes(store)
    user = await _stored(store)

    taken = await asyncio.gather(
        *(credentials.accept_recovery_code(store, user, codes[1]) for _ in range(5))
    )

    assert taken.count(True) == 1


async def test_recovery_code_finishes_the_browser_sign_in(store: Store) -> None:
    codes = await _enrolled_with_codes(store)

    pending = await credentials.begin_sign_in(store, "kim", PASSWORD, ip=None)
    session = await credentials.finish_sign_in(store, pending.key, f" {codes[9]} ", ip=None)

    assert session.actor.username == "kim"


async def test_recovery_codes_replaced_stop_the_old_ones(store: Store) -> None:
    old = await _enrolled_with_codes(store)
    user = await _stored(store)

    new = await credentials.replace_recovery_codes(store, SYSTEM, str(user["_id"]))

    assert not set(old) & set(new)
    assert not await credentials.accept_recovery_code(store, user, old[0])
    assert await credentials.accept_recovery_code(store, user, new[0])


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcde-fghi!", "aaaaa-aaaaa"])
async def test_recovery_code_refuses_what_was_never_issued(store: Store, code: str) -> None:
    await _enrolled_with_codes(store)

    assert not await credentials.accept_recovery_code(store, await _stored(store), code)
