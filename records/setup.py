"""The first administrator, created through a one-time link that `ppud serve` prints.

A fresh install has no users, so nobody can sign in to create one. While
no administrator can sign in (there are no users, or only ones without a
password, as the demo casework's), each start of the server issues a link
that works for 30 minutes; the page behind it creates one administrator, and
then the link is dead. Only the SHA-256 of the link's token is stored, as
for bearer tokens: a copy of the database does not open the door.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from records import audit, users
from records.actors import SYSTEM, Actor
from records.errors import Gone, NotFound
from records.policy import may_create_first_admin
from records.store import Store, as_utc, iso

SETUP_TOKENS = "setup_tokens"
LINK_LIFETIME = timedelta(minutes=30)
# secrets.token_urlsafe(32): 32 random bytes as 43 characters of URL-safe base64.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
# Who the audit trail names as creating the first administrator: nobody is signed in yet.
SETUP_LINK = Actor(id="setup-link", username="setup-link", level="admin", team="")

USED = "this set-up link has been used already: sign in with the administrator it created"
REPLACED = (
    "a newer set-up link has replaced this one: use the link the server printed when it "
    "last started"
)
EXPIRED = (
    f"this set-up link has expired: it works for {LINK_LIFETIME // timedelta(minutes=1)} minutes; "
    "start ppud serve again for a new one"
)
USERS_EXIST = (
    "PPUD has an administrator already, so this set-up link no longer works: sign in, or "
    "ask an administrator for an account"
)


@dataclass(frozen=True)
class SetupLink:
    token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _open_to_setup(store: Store) -> bool:
    """The policy's answer: may a set-up link create an administrator now?"""
    return may_create_first_admin(admin_can_sign_in=await users.admin_can_sign_in(store))


def _live(store: Store) -> dict[str, Any]:
    """The query clause of a link that may still create the first administrator."""
    return {"used_at": None, "replaced_at": None, "expires_at": {"$gt": store.now()}}


async def issue_link(store: Store) -> SetupLink | None:
    """A new link while there are no users, every older one dead; None once there are users."""
    if not await _open_to_setup(store):
        return None

    now = store.now()
    await store.db[SETUP_TOKENS].update_many(
        {"used_at": None, "replaced_at": None}, {"$set": {"replaced_at": now}}
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + LINK_LIFETIME
    await store.db[SETUP_TOKENS].insert_one(
        {
            "digest": _digest(token),
            "created_at": now,
            "expires_at": expires_at,
            "used_at": None,
            "replaced_at": None,
        }
    )

    await audit.record(
        store, SYSTEM, "setup.link_issue", "setup", detail={"expires_at": iso(expires_at)}
    )
    return SetupLink(token, expires_at)


async def check_link(store: Store, token: str) -> datetime:
    """When a live link expires; NotFound for a link never issued, Gone for a dead one."""
    # The policy is asked whatever the token, though its answer counts only for
    # a live link: a used one is better explained as used than as superseded.
    open_to_setup = await _open_to_setup(store)
    record = None
    if _TOKEN.match(token):
        record = await store.db[SETUP_TOKENS].find_one({"digest": _digest(token)})
    if record is None:
        raise NotFound("there is no such set-up link")

    if record.get("used_at") is not None:
        raise Gone(USED)
    if record.get("replaced_at") is not None:
        raise Gone(REPLACED)
    expires_at = as_utc(record["expires_at"])
    if expires_at <= store.now():
        raise Gone(EXPIRED)
    # Someone ran `ppud users create` meanwhile: the service has a way in already.
    if not open_to_setup:
        raise Gone(USERS_EXIST)
    return expires_at


async def create_first_admin(
    store: Store, token: str, *, username: str, team: str, password: str, ip: str | None
) -> users.NewUser:
    """The first administrator, without a second factor yet: it is enrolled next, in the browser.

    The link is claimed before the user is created, in one conditional
    update: of two browsers sending the same link at once, one claims it and
    the other is told it has been used. A claim whose user is then not
    created (the database failing between the two) leaves the link dead
    and the database empty, so the next `ppud serve` prints a new link.
    """
    by = SETUP_LINK.from_address(ip)
    username = username.strip().lower()
    await check_link(store, token)
    # Checked before the claim: a weak password must not use the link up.
    users.check_new_user(by, username, "admin", team, password)

    claimed = await store.db[SETUP_TOKENS].find_one_and_update(
        {**_live(store), "digest": _digest(token)},
        {"$set": {"used_at": store.now(), "used_from": ip}},
    )
    if claimed is None:
        await check_link(store, token)
        raise Gone(USED)
    if not await _open_to_setup(store):
        raise Gone(USERS_EXIST)

    return await users.create_user(
        store, by, username, level="admin", team=team, password=password, with_totp=False
    )
