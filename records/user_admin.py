"""Managing users and teams: administrators for everyone, managers for their own team.

Every change asks the second factor again (records.credentials), so a
session left open on an unattended screen cannot add or promote anyone.
Who may manage whom, and grant what, is decided by records.policy.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument

from records import audit, credentials, users
from records.actors import LEVELS, Actor
from records.errors import Forbidden, InvalidInput, NotFound
from records.paging import Page, page
from records.policy import Action, can_manage_user, may_grant, require, user_filter
from records.store import Store, iso
from records.validation import Fields

CHANGEABLE = {"level", "team", "disabled", "code"}


async def list_users(
    store: Store,
    actor: Actor,
    *,
    team: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page:
    """The users the actor manages, in creation order."""
    require(actor, Action.USERS_MANAGE)
    query = user_filter(actor)
    if team:
        query = {"$and": [query, {"team": team}]}
    return await page(store.db[users.USERS], query, limit=limit, cursor=cursor)


async def managed_user(store: Store, actor: Actor, user_id: str) -> dict[str, Any]:
    """The user, if the actor manages them; anyone else is absent (404)."""
    require(actor, Action.USERS_MANAGE)
    user = None
    if ObjectId.is_valid(user_id):
        user = await store.db[users.USERS].find_one({"_id": ObjectId(user_id)})
    if user is None or not can_manage_user(actor, user):
        raise NotFound.absent("user", user_id)
    return user


async def create(store: Store, actor: Actor, data: Any) -> users.NewUser:
    """A new user at or below the actor's level; they enrol their second factor at first sign-in."""
    require(actor, Action.USERS_MANAGE)
    body = _object(data)
    fields = Fields(body)
    fields.unknown({"username", "level", "team", "external", "organisation", "password", "code"})
    username = (fields.text("username", max_length=64) or "").lower()
    level = fields.text("level", max_length=20) or ""
    team = fields.text("team", required=False, max_length=64) or actor.team
    external = bool(fields.boolean("external"))
    password = fields.text("password", required=False, strip=False, max_length=users.MAX_PASSWORD)
    organisation = fields.text("organisation", required=False, max_length=users.MAX_ORGANISATION)
    fields.check()
    if level not in LEVELS:
        raise InvalidInput.field("level", f"must be one of {', '.join(LEVELS)}")
    _may_grant(actor, level=level, team=team, external=external)
    if await users.find_by_username(store, username) is not None:
        raise InvalidInput.field("username", f"a user named {username!r} already exists")
    if actor.level != "admin" and not await users.team_exists(store, team):
        raise InvalidInput.field("team", f"there is no team named {team!r}")

    await credentials.confirm_second_factor(
        store, actor, body.get("code"), purpose="creating a user"
    )
    return await users.create_user(
        store,
        actor,
        username,
        level=level,
        team=team,
        external=external,
        password=password,
        organisation=organisation,
        with_totp=False,
    )


async def change(store: Store, actor: Actor, user_id: str, data: Any) -> dict[str, Any]:
    """Change a user's level or team, or disable or re-enable them."""
    user = await managed_user(store, actor, user_id)
    body = _object(data)
    fields = Fields(body)
    fields.unknown(CHANGEABLE)
    level = fields.text("level", required=False, max_length=20)
    team = fields.text("team", required=False, max_length=64)
    disabled = fields.boolean("disabled", default=None)
    fields.check()
    if level is not None and level not in LEVELS:
        raise InvalidInput.field("level", f"must be one of {', '.join(LEVELS)}")
    changes = {
        name: value
        for name, value in (("level", level), ("team", team), ("disabled", disabled))
        if value is not None and user.get(name) != value
    }
    if not changes:
        raise InvalidInput("nothing to change: send a new level, team or disabled")
    if str(user["_id"]) == actor.id:
        raise Forbidden("you cannot change your own account; ask another administrator")
    _may_grant(
        actor,
        level=changes.get("level", user["level"]),
        team=changes.get("team", user.get("team", "")),
        external=bool(user.get("external")),
    )
    if team is not None and "team" in changes and not await users.team_exists(store, team):
        raise InvalidInput.field("team", f"there is no team named {team!r}")

    await credentials.confirm_second_factor(
        store, actor, body.get("code"), purpose="changing a user"
    )
    updated = await store.db[users.USERS].find_one_and_update(
        {"_id": user["_id"]}, {"$set": changes}, return_document=ReturnDocument.AFTER
    )
    if updated is None:
        raise NotFound.absent("user", user_id)
    if changes.get("disabled"):
        # A disabled user's open sessions end now, not at their next sign-in.
        await store.db[credentials.SESSIONS].delete_many({"user_id": user["_id"]})
    await audit.record(
        store,
        actor,
        "user.change",
        f"user:{user['_id']}",
        detail={"username": user["username"], **changes},
    )
    return updated


async def unlock(store: Store, actor: Actor, user_id: str, data: Any) -> None:
    """Lift the user's sign-in lock-out (recent failed attempts are cleared)."""
    user = await managed_user(store, actor, user_id)
    await credentials.confirm_second_factor(
        store, actor, _object(data).get("code"), purpose="unlocking a user"
    )
    await credentials.unlock(store, actor, user["username"])


async def list_teams(store: Store, actor: Actor) -> list[dict[str, Any]]:
    """Every team for an administrator; a manager's own team for them."""
    require(actor, Action.USERS_MANAGE)
    query = {} if actor.level == "admin" else {"name": actor.team}
    return [t async for t in store.db[users.TEAMS].find(query).sort("name", 1)]


async def create_team(store: Store, actor: Actor, data: Any) -> dict[str, Any]:
    require(actor, Action.TEAMS_MANAGE)
    body = _object(data)
    fields = Fields(body)
    fields.unknown({"name", "code"})
    name = fields.text("name", max_length=64) or ""
    fields.check()
    if not users.TEAM_NAME.match(name):
        raise InvalidInput.field("name", "use 1-64 letters, digits, spaces, '.', '_' or '-'")
    if await users.team_exists(store, name):
        raise InvalidInput.field("name", f"a team named {name!r} already exists")

    await credentials.confirm_second_factor(
        store, actor, body.get("code"), purpose="creating a team"
    )
    await users.ensure_team(store, name)
    await audit.record(store, actor, "team.create", f"team:{name}", detail={"name": name})
    team = await store.db[users.TEAMS].find_one({"name": name})
    assert team is not None
    return team


def _may_grant(actor: Actor, *, level: str, team: str, external: bool) -> None:
    refusal = may_grant(actor, level=level, team=team, external=external)
    if refusal is not None:
        raise Forbidden(refusal)


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    return data


def managed_view(user: dict[str, Any]) -> dict[str, Any]:
    return {
        **users.user_view(user),
        "organisation": user.get("organisation"),
        "disabled": bool(user.get("disabled")),
        "enrolled": bool(user.get("totp_secret")),
        "has_password": bool(user.get("password_hash")),
    }


def team_view(team: dict[str, Any]) -> dict[str, Any]:
    return {"name": team["name"], "created_at": iso(team["created_at"])}
