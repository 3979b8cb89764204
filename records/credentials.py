"""Second factor, bearer tokens, browser sessions and sign-in lock-out.

Only hashes of tokens and session keys are stored: a copy of the database
does not let anyone act as a user.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from bson import ObjectId

from records import audit, users
from records.actors import Actor
from records.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from records.store import Store, as_utc, iso
from records.validation import has_control_characters

TOKENS = "tokens"
SESSIONS = "sessions"
ATTEMPTS = "signin_failures"
PENDING = "signin_pending"

TOKEN_PREFIX = "ppud_"  # noqa: S105 - a label that makes leaked tokens easy to spot
# However active, a session ends 12 hours after sign-in; idle, after 30 minutes
# unless the settings say otherwise (PPUD_SESSION_IDLE_MINUTES).
SESSION_LIFETIME = timedelta(hours=12)
DEFAULT_IDLE = timedelta(minutes=30)
# last_seen is written at most this often: not a write on every request.
_SEEN_EVERY = timedelta(minutes=1)
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_THRESHOLD = 5
MAX_LABEL = 100
GENERIC_FAILURE = "username, password or code is not right"
WRONG_CODE = "the code is not right, or it has been used already"
USED_CODE = "that code has been used already: wait for the next code from your authenticator app"
# How long the second step of a browser sign-in waits for its code.
PENDING_LIFETIME = timedelta(minutes=10)
RECOVERY_CODE_COUNT = 10
# 10 characters of base32: 50 random bits each, shown as two groups of five.
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_RECOVERY_LENGTH = 10


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- TOTP ------------------------------------------------------------------


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code this is, allowing one step of clock skew either way."""
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(time.time()) // totp.interval
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return int(step)
    return None


async def accept_totp(store: Store, user: dict[str, Any], code: str) -> bool:
    """True once per time step: a replayed code is refused (RFC 6238 §5.2)."""
    secret = user.get("totp_secret")
    step = _matching_step(secret, code) if secret else None
    if step is None:
        return False
    # Taking the step atomically means two requests racing with the same code
    # cannot both succeed.
    taken = await store.db[users.USERS].update_one(
        {"_id": user["_id"], "totp_last_step": {"$lt": step}},
        {"$set": {"totp_last_step": step}},
    )
    return taken.modified_count == 1


# --- recovery codes --------------------------------------------------------


def _normalised_recovery_code(code: str) -> str:
    return "".join(code.lower().split()).replace("-", "")


def new_recovery_codes() -> list[str]:
    """Fresh codes as the user is shown them once, like ``k3f7q-m2x9a``."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_digests(codes: list[str]) -> list[str]:
    # SHA-256 is enough for 50 random bits per code, as for tokens: no
    # dictionary to guess from, and a lookup stays one query.
    return [_digest(_normalised_recovery_code(code)) for code in codes]


async def accept_recovery_code(store: Store, user: dict[str, Any], code: str) -> bool:
    """True once per code: the code's hash is removed as it is accepted."""
    normalised = _normalised_recovery_code(code)
    if len(normalised) != _RECOVERY_LENGTH or not set(normalised) <= set(_RECOVERY_ALPHABET):
        return False
    digest = _digest(normalised)
    # One conditional update: of two racing uses of the same code, one matches.
    taken = await store.db[users.USERS].update_one(
        {"_id": user["_id"], "recovery_codes": digest},
        {"$pull": {"recovery_codes": digest}},
    )
    return taken.modified_count == 1


async def accept_second_factor(store: Store, user: dict[str, Any], code: str) -> str | None:
    """Which factor the code proved ("totp" or "recovery_code"), or None."""
    code = code.strip()
    if await accept_totp(store, user, code):
        return "totp"
    if not code.isdigit() and await accept_recovery_code(store, user, code):
        return "recovery_code"
    return None


async def confirm_second_factor(store: Store, actor: Actor, code: Any, *, purpose: str) -> str:
    """Re-entry of the second factor before a destructive action; Forbidden when wrong.

    A signed-in session proves the factor once; force-opening a lock,
    destroying records or changing users asks for it again, so a session
    left open on an unattended screen cannot do them. purpose says which, in
    the audit event of a wrong code.
    """
    user = (
        await store.db[users.USERS].find_one({"_id": ObjectId(actor.id)})
        if ObjectId.is_valid(actor.id)
        else None
    )
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput.field("code", "enter the 6-digit code from your authenticator app again")
    # Counted with the sign-in failures: three codes are right at any moment,
    # so unlimited guesses would open the second person's control in hours.
    attempt = await _claim_attempt(store, actor.username, None, what="code")
    proved = await accept_second_factor(store, user, code) if user is not None else None
    if proved is None and user is not None and await _used_already(store, user, code.strip()):
        # The right code sent twice (a double click): refused, as a replay must be,
        # but no guess, so it does not count towards locking the person out.
        await store.db[ATTEMPTS].delete_one({"_id": attempt})
        await audit.record(
            store, actor, "user.code.reused", f"user:{actor.id}", detail={"for": purpose}
        )
        raise Forbidden(USED_CODE)
    if proved is None:
        await audit.record(
            store, actor, "user.code.refused", f"user:{actor.id}", detail={"for": purpose}
        )
        raise Forbidden(WRONG_CODE)
    await store.db[ATTEMPTS].delete_one({"_id": attempt})
    return proved


async def _used_already(store: Store, user: dict[str, Any], code: str) -> bool:
    """Whether code is the authenticator's right code for a step already taken."""
    secret = user.get("totp_secret")
    step = _matching_step(secret, code) if secret else None
    if step is None:
        return False
    # Read again: the request that took the step may have committed after user was read.
    fresh = await store.db[users.USERS].find_one({"_id": user["_id"]}, {"totp_last_step": 1})
    return fresh is not None and step <= int(fresh.get("totp_last_step", -1))


async def replace_recovery_codes(store: Store, by: Actor, user_id: str) -> list[str]:
    """New recovery codes for the user; the old ones stop working at once."""
    codes = new_recovery_codes()
    await store.db[users.USERS].update_one(
        {"_id": ObjectId(user_id)}, {"$set": {"recovery_codes": recovery_digests(codes)}}
    )
    await audit.record(store, by, "user.recovery_codes", f"user:{user_id}")
    return codes


# --- bearer tokens ---------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    id: str
    token: str


async def create_token(store: Store, by: Actor, username: str, *, label: str = "") -> NewToken:
    label = label.strip()
    if len(label) > MAX_LABEL or has_control_characters(label):
        raise InvalidInput.field("label", f"must be at most {MAX_LABEL} characters of plain text")
    user = await users.find_by_username(store, username)
    if user is None:
        raise NotFound(f"no user named {username!r}")

    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    result = await store.db[TOKENS].insert_one(
        {
            "user_id": user["_id"],
            "digest": _digest(token),
            "label": label,
            "created_at": store.now(),
            "last_used_at": None,
            "revoked": False,
        }
    )
    await audit.record(
        store,
        by,
        "token.create",
        f"token:{result.inserted_id}",
        detail={"username": user["username"]},
    )
    return NewToken(str(result.inserted_id), token)


async def actor_for_token(store: Store, token: str) -> Actor:
    record = await store.db[TOKENS].find_one({"digest": _digest(token), "revoked": False})
    if record is None:
        raise Unauthenticated("the bearer token is not valid")
    user = await store.db[users.USERS].find_one({"_id": record["user_id"]})
    if user is None or user.get("disabled"):
        raise Unauthenticated("the bearer token is not valid")
    return users.actor_of(user)


async def list_tokens(store: Store, user_id: str) -> list[dict[str, Any]]:
    found = store.db[TOKENS].find({"user_id": ObjectId(user_id)}).sort("_id", 1)
    return [
        {
            "id": str(t["_id"]),
            "label": t.get("label", ""),
            "revoked": t["revoked"],
            "created_at": iso(t["created_at"]),
        }
        async for t in found
    ]


async def revoke_token(store: Store, by: Actor, token_id: str) -> None:
    if not ObjectId.is_valid(token_id):
        raise NotFound(f"no token with id {token_id!r}")
    query: dict[str, Any] = {"_id": ObjectId(token_id)}
    if by.level != "admin":
        query["user_id"] = ObjectId(by.id)
    result = await store.db[TOKENS].update_one(query, {"$set": {"revoked": True}})
    if result.matched_count == 0:
        raise NotFound(f"no token with id {token_id!r}")
    await audit.record(store, by, "token.revoke", f"token:{token_id}")


# --- sign-in and sessions --------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    key: str
    csrf_token: str
    actor: Actor
    expires_in: timedelta


async def sign_in(
    store: Store, username: str, password: str, code: str, *, ip: str | None
) -> NewSession:
    """Password and TOTP together; every failure gives the same message."""
    name = username.strip().lower()
    attempt = await _claim_attempt(store, name, ip)

    user = await users.find_by_username(store, name)
    # Argon2 takes tens of milliseconds of CPU: off the event loop, so one
    # sign-in does not hold up every other request.
    ok = await asyncio.to_thread(users.password_matches, user, password)
    ok = ok and user is not None and not user.get("disabled")
    factor = await accept_second_factor(store, user, code) if ok and user is not None else None
    if factor is None or user is None:
        raise Unauthenticated(GENERIC_FAILURE)  # the claimed attempt stays, as a failure
    await store.db[ATTEMPTS].delete_one({"_id": attempt})
    return await _open_session(store, user, ip=ip, factor=factor)


async def _open_session(
    store: Store, user: dict[str, Any], *, ip: str | None, factor: str
) -> NewSession:
    actor = users.actor_of(user).from_address(ip)
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await store.db[SESSIONS].insert_one(
        {
            "digest": _digest(key),
            "csrf": csrf,
            "user_id": user["_id"],
            "created_at": store.now(),
            "last_seen": store.now(),
            "expires_at": store.now() + SESSION_LIFETIME,
        }
    )
    await audit.record(
        store, actor, "session.create", f"user:{actor.id}", detail={"factor": factor}
    )
    return NewSession(key, csrf, actor, SESSION_LIFETIME)


# --- sign-in in two steps (the browser) ------------------------------------


@dataclass(frozen=True)
class PendingSignIn:
    """A password accepted; the second step needs key and a code (or enrols a factor)."""

    key: str
    enrolling: bool


@dataclass(frozen=True)
class Enrolment:
    """The factor a user without one is being offered, to show as a QR code and as text."""

    username: str
    secret: str

    @property
    def provisioning_uri(self) -> str:
        return str(pyotp.TOTP(self.secret).provisioning_uri(name=self.username, issuer_name="PPUD"))


async def begin_sign_in(
    store: Store, username: str, password: str, *, ip: str | None
) -> PendingSignIn:
    """Check the password; the session opens only after finish_sign_in or finish_enrolment.

    A user with no second factor yet is offered a fresh TOTP secret, kept
    with the pending sign-in until they prove they hold it.
    """
    name = username.strip().lower()
    attempt = await _claim_attempt(store, name, ip)

    user = await users.find_by_username(store, name)
    ok = await asyncio.to_thread(users.password_matches, user, password)
    if not ok or user is None or user.get("disabled"):
        raise Unauthenticated(GENERIC_FAILURE)
    await store.db[ATTEMPTS].delete_one({"_id": attempt})

    return await _pending_for(store, user)


async def begin_enrolment(store: Store, user_id: str) -> PendingSignIn:
    """A user created a moment ago in the browser goes on to enrol, without a second password.

    Only for a user whose password was proved in the same request (the
    set-up link's first administrator); the session still waits for a code.
    """
    user = await users.get_user(store, user_id)
    if user.get("totp_secret"):
        raise Conflict("the user has a second factor already; sign in")
    return await _pending_for(store, user)


async def _pending_for(store: Store, user: dict[str, Any]) -> PendingSignIn:
    enrolling = not user.get("totp_secret")
    key = secrets.token_urlsafe(32)
    await store.db[PENDING].insert_one(
        {
            "digest": _digest(key),
            "user_id": user["_id"],
            "enrol_secret": pyotp.random_base32() if enrolling else None,
            "expires_at": store.now() + PENDING_LIFETIME,
        }
    )
    return PendingSignIn(key, enrolling)


async def _pending(store: Store, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    record = await store.db[PENDING].find_one(
        {"digest": _digest(key), "expires_at": {"$gt": store.now()}}
    )
    user = await store.db[users.USERS].find_one({"_id": record["user_id"]}) if record else None
    if record is None or user is None or user.get("disabled"):
        raise Unauthenticated("the sign-in has expired; start again")
    return record, user


async def pending_enrolment(store: Store, key: str) -> Enrolment:
    """The factor offered to a pending sign-in; Unauthenticated if there is none."""
    record, user = await _pending(store, key)
    if not record.get("enrol_secret"):
        raise Unauthenticated("this sign-in does not enrol a second factor")
    return Enrolment(user["username"], record["enrol_secret"])


async def finish_sign_in(store: Store, key: str, code: str, *, ip: str | None) -> NewSession:
    """The second step: a TOTP or recovery code opens the session."""
    record, user = await _pending(store, key)
    attempt = await _claim_attempt(store, user["username"], ip)

    factor = await accept_second_factor(store, user, code)
    if factor is None:
        raise Unauthenticated(WRONG_CODE)  # the claimed attempt stays, as a failure
    await store.db[ATTEMPTS].delete_one({"_id": attempt})
    await store.db[PENDING].delete_one({"_id": record["_id"]})
    return await _open_session(store, user, ip=ip, factor=factor)


async def finish_enrolment(
    store: Store, key: str, code: str, *, ip: str | None
) -> tuple[NewSession, list[str]]:
    """A code from the offered secret enrols it; the session and the recovery codes come back."""
    record, user = await _pending(store, key)
    secret = record.get("enrol_secret")
    if not secret:
        raise Unauthenticated("this sign-in does not enrol a second factor")
    attempt = await _claim_attempt(store, user["username"], ip)

    step = _matching_step(secret, code.strip())
    if step is None:
        raise Unauthenticated(WRONG_CODE)
    codes = new_recovery_codes()
    # Only a user still without a factor takes this one, so two sign-ins
    # enrolling at once cannot leave the user with a secret they never saw.
    enrolled = await store.db[users.USERS].update_one(
        {"_id": user["_id"], "totp_secret": None},
        {
            "$set": {
                "totp_secret": secret,
                "totp_last_step": step,
                "recovery_codes": recovery_digests(codes),
                "totp_enrolled_at": store.now(),
            }
        },
    )
    await store.db[ATTEMPTS].delete_one({"_id": attempt})
    await store.db[PENDING].delete_one({"_id": record["_id"]})
    if enrolled.modified_count != 1:
        raise Conflict("a second factor was enrolled meanwhile; sign in again")

    actor = users.actor_of(user).from_address(ip)
    await audit.record(store, actor, "user.totp_enrol", f"user:{actor.id}")
    return await _open_session(store, user, ip=ip, factor="totp"), codes


async def session_actor(
    store: Store, key: str, *, idle: timedelta = DEFAULT_IDLE
) -> tuple[Actor, str]:
    """The session's user and its CSRF token, or Unauthenticated once it has ended.

    It ends at its absolute lifetime, or when it has gone unused for idle.
    """
    now = store.now()
    record = await store.db[SESSIONS].find_one(
        {"digest": _digest(key), "expires_at": {"$gt": now}, "last_seen": {"$gt": now - idle}}
    )
    if record is None:
        raise Unauthenticated("the session has ended; sign in again")
    if as_utc(record["last_seen"]) < now - _SEEN_EVERY:
        await store.db[SESSIONS].update_one({"_id": record["_id"]}, {"$set": {"last_seen": now}})
    user = await store.db[users.USERS].find_one({"_id": record["user_id"]})
    if user is None or user.get("disabled"):
        raise Unauthenticated("the session has ended; sign in again")
    return users.actor_of(user), record["csrf"]


async def sign_out(store: Store, actor: Actor, key: str) -> None:
    await store.db[SESSIONS].delete_one({"digest": _digest(key)})
    await audit.record(store, actor, "session.delete", f"user:{actor.id}")


async def sign_out_everywhere(store: Store, actor: Actor) -> int:
    """End every session of the actor's, on every browser; their tokens are kept."""
    ended = await store.db[SESSIONS].delete_many({"user_id": ObjectId(actor.id)})
    await audit.record(
        store,
        actor,
        "session.delete_all",
        f"user:{actor.id}",
        detail={"ended": ended.deleted_count},
    )
    return int(ended.deleted_count)


async def _claim_attempt(
    store: Store, username: str, ip: str | None, *, what: str = "sign-in"
) -> ObjectId:
    """Record this attempt as a failure before checking it, unless the window is full.

    Counting after recording, not before, is what bounds racing attempts:
    of 200 sent at once, each sees every attempt recorded before its count,
    so no more than LOCKOUT_THRESHOLD passwords are ever tried in a window.
    A successful attempt deletes its record again.
    """
    now, claimed = store.now(), ObjectId()
    await store.db[ATTEMPTS].insert_one(
        {"_id": claimed, "username": username, "at": now, "ip": ip, "cleared": False}
    )
    recent = store.db[ATTEMPTS].find(
        {
            "username": username,
            "at": {"$gt": now - LOCKOUT_WINDOW},
            "cleared": False,
            "_id": {"$ne": claimed},
        }
    )
    earlier = [as_utc(f["at"]) for f in await recent.sort("at", 1).to_list()]
    if len(earlier) < LOCKOUT_THRESHOLD:
        return claimed

    # Refused unchecked, so not a failure of its own: the lock-out is not prolonged.
    await store.db[ATTEMPTS].delete_one({"_id": claimed})
    opens_at = earlier[len(earlier) - LOCKOUT_THRESHOLD] + LOCKOUT_WINDOW
    wait = max(1, math.ceil((opens_at - now).total_seconds()))
    # Codes and passwords share one count, so a code guessed too often locks sign-in too.
    locked = "; sign-in is locked too" if what == "code" else ""
    raise TooManyAttempts(
        f"too many failed {what} attempts{locked}; try again in {math.ceil(wait / 60)} "
        "minute(s) or ask an administrator to unlock the account",
        retry_after=wait,
    )


async def unlock(store: Store, by: Actor, username: str) -> None:
    """An administrator lifts a lock-out by clearing the recent failures."""
    if await users.find_by_username(store, username) is None:
        raise NotFound(f"no user named {username!r}")
    await store.db[ATTEMPTS].update_many(
        {"username": username.strip().lower()}, {"$set": {"cleared": True}}
    )
    await audit.record(store, by, "user.unlock", f"username:{username}")
