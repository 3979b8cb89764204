"""Users and teams: creation, lookup and password checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bson import ObjectId
from pymongo.errors import DuplicateKeyError
from zxcvbn import zxcvbn

from records import audit
from records.actors import LEVELS, Actor, level_rank
from records.errors import Duplicate, InvalidInput, NotFound
from records.store import Store, iso
from records.validation import has_control_characters

USERS = "users"
TEAMS = "teams"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
MIN_PASSWORD = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4 scale
ZXCVBN_LENGTH = 72
# The sign-in route accepts passwords up to this length; a longer one could never be used.
MAX_PASSWORD = 1024
MAX_ORGANISATION = 200

_hasher = PasswordHasher()  # argon2-cffi's defaults are Argon2id (RFC 9106 profile)
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


@dataclass(frozen=True)
class NewUser:
    id: str
    username: str
    # None: the user enrols their own second factor at their first sign-in in the browser.
    totp_secret: str | None


def actor_of(user: dict[str, Any]) -> Actor:
    return Actor(
        id=str(user["_id"]),
        username=user["username"],
        level=user["level"],
        team=user.get("team", ""),
        external=bool(user.get("external")),
        records_manager=bool(user.get("records_manager")) and not user.get("external"),
    )


async def create_user(
    store: Store,
    by: Actor,
    username: str,
    *,
    level: str,
    team: str,
    external: bool = False,
    password: str | None = None,
    organisation: str | None = None,
    with_totp: bool = True,
    records_manager: bool = False,
) -> NewUser:
    """Create a user (and their team if new); the TOTP secret is returned once.

    Without with_totp the user has no second factor yet and enrols one at
    their first sign-in in the browser (records.credentials.finish_enrolment).
    """
    username = username.strip().lower()
    check_new_user(by, username, level, team, password)
    organisation = _check_organisation(organisation, external=external)

    secret = pyotp.random_base32() if with_totp else None
    user = {
        "username": username,
        "level": level,
        "team": team,
        "external": external,
        "organisation": organisation,
        "password_hash": _hasher.hash(password) if password else None,
        "totp_secret": secret,
        "totp_last_step": 0,
        "recovery_codes": [],
        "created_at": store.now(),
        "disabled": False,
        "records_manager": records_manager and not external,
    }
    await ensure_team(store, team)
    try:
        result = await store.db[USERS].insert_one(user)
    except DuplicateKeyError as exc:
        raise Duplicate(f"a user named {username!r} already exists") from exc

    await audit.record(
        store,
        by,
        "user.create",
        f"user:{result.inserted_id}",
        detail={"username": username, "level": level, "team": team, "external": external},
    )
    return NewUser(str(result.inserted_id), username, secret)


def check_new_user(by: Actor, username: str, level: str, team: str, password: str | None) -> None:
    """The rules create_user applies, for a caller that must check before it commits to one."""
    if not USERNAME.match(username):
        raise InvalidInput.field(
            "username", "must use 2-64 lower-case letters, digits, '.', '_' or '-'"
        )
    if level not in LEVELS:
        raise InvalidInput.field("level", f"must be one of {', '.join(LEVELS)}")
    if level_rank(level) > level_rank(by.level):
        raise InvalidInput.field("level", "cannot create a user above your own level")
    if not TEAM_NAME.match(team):
        raise InvalidInput.field("team", "must use 1-64 letters, digits, spaces, '.', '_' or '-'")
    if password is not None:
        _check_password(password, username)


def _check_password(password: str, username: str = "") -> None:
    if len(password.strip()) < MIN_PASSWORD:
        raise InvalidInput.field(
            "password", f"must be at least {MIN_PASSWORD} characters, not counting spaces around it"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput.field("password", f"must be at most {MAX_PASSWORD} characters")
    if has_control_characters(password):
        raise InvalidInput.field("password", "must not contain control characters")
    _check_guessable(password, username)


def _check_guessable(password: str, username: str) -> None:
    """Refuse what an attacker tries first: common passwords, keyboard runs, the username.

    zxcvbn ships lists of the most common passwords, names and words and
    estimates the guesses a password needs; below score 3 ("safely
    unguessable" against an online attack with throttling off) it is refused.
    Only the first 72 characters are weighed (zxcvbn's own limit: its
    estimate grows with the square of the length); a passphrase that long is
    strong already.
    """
    judged = zxcvbn(password[:ZXCVBN_LENGTH], user_inputs=[username])
    if judged["score"] >= MIN_PASSWORD_SCORE:
        return
    warning = (judged.get("feedback") or {}).get("warning") or "it is too easy to guess"
    raise InvalidInput.field(
        "password",
        f"is too easy to guess ({warning.rstrip('.').lower()}); "
        "a few unrelated words make a strong one",
    )


def _check_organisation(organisation: str | None, *, external: bool) -> str | None:
    name = (organisation or "").strip() or None
    if external and name is None:
        raise InvalidInput.field(
            "organisation", "is required for an external user: it is stamped on their downloads"
        )
    if name is not None and (len(name) > MAX_ORGANISATION or has_control_characters(name)):
        raise InvalidInput.field(
            "organisation", f"must be at most {MAX_ORGANISATION} characters of plain text"
        )
    return name


async def set_password(store: Store, by: Actor, username: str, password: str) -> None:
    """Set or replace a user's password (administration from the command line)."""
    _check_password(password, username.strip().lower())
    changed = await store.db[USERS].update_one(
        {"username": username.strip().lower()},
        {"$set": {"password_hash": _hasher.hash(password)}},
    )
    if changed.matched_count == 0:
        raise NotFound(f"no user named {username!r}")
    await audit.record(store, by, "user.password", f"username:{username.strip().lower()}")


async def ensure_team(store: Store, name: str) -> None:
    await store.db[TEAMS].update_one(
        {"name": name},
        {"$setOnInsert": {"name": name, "created_at": store.now()}},
        upsert=True,
    )


async def admin_can_sign_in(store: Store) -> bool:
    """Whether any enabled administrator has a password to sign in with."""
    query = {"level": "admin", "password_hash": {"$type": "string"}, "disabled": {"$ne": True}}
    return await store.db[USERS].count_documents(query, limit=1) > 0


async def team_exists(store: Store, name: str) -> bool:
    return await store.db[TEAMS].count_documents({"name": name}, limit=1) > 0


async def find_by_username(store: Store, username: str) -> dict[str, Any] | None:
    return await store.db[USERS].find_one({"username": username.strip().lower()})


async def get_user(store: Store, user_id: str) -> dict[str, Any]:
    user = None
    if ObjectId.is_valid(user_id):
        user = await store.db[USERS].find_one({"_id": ObjectId(user_id)})
    if user is None:
        raise NotFound.absent("user", user_id)
    return user


def password_matches(user: dict[str, Any] | None, password: str) -> bool:
    """Constant-work check: an unknown user costs the same as a wrong password."""
    stored = (user or {}).get("password_hash") or _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and bool(user.get("password_hash"))


def user_view(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(user["_id"]),
        "username": user["username"],
        "level": user["level"],
        "team": user.get("team"),
        "external": bool(user.get("external")),
        "created_at": iso(user["created_at"]),
    }
