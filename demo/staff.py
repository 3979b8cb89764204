"""The demo's teams and users: one of each level, a caseworker per team, one external user.

They are created as an administrator creates them from the command line,
with no password and no second factor: they cannot sign in until an
administrator sets a password (`ppud users set-password`), and each then
enrols an authenticator at their first sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from records import users
from records.actors import SYSTEM, Actor
from records.store import Store

EXTERNAL = "Parole Board"


@dataclass(frozen=True)
class Member:
    username: str
    level: str
    team: str
    external: bool = False
    organisation: str | None = None


MEMBERS = (
    Member("demo-admin", "admin", "ppcs-recall"),
    Member("demo-manager", "manager", "ppcs-recall"),
    Member("demo-caseworker", "caseworker", "ppcs-recall"),
    Member("demo-viewer", "viewer", "ppcs-recall"),
    Member("demo-parole", "caseworker", "ppcs-parole"),
    Member("demo-mhcs", "caseworker", "mhcs"),
    Member("demo-panel", "viewer", "parole-board", external=True, organisation=EXTERNAL),
)
# Who files each team's casework: its caseworker.
CASEWORKERS = {"ppcs-recall": "demo-caseworker", "ppcs-parole": "demo-parole", "mhcs": "demo-mhcs"}


@dataclass(frozen=True)
class Staff:
    caseworkers: dict[str, Actor]  # by team
    admin: Actor
    external: Actor
    created: int

    def caseworker(self, team: str) -> Actor:
        return self.caseworkers[team]


async def ensure_staff(store: Store) -> Staff:
    """The demo's users, created if they are not there yet (an existing one is left as it is)."""
    actors: dict[str, Actor] = {}
    created = 0
    for member in MEMBERS:
        found = await users.find_by_username(store, member.username)
        if found is None:
            await users.create_user(
                store,
                SYSTEM,
                member.username,
                level=member.level,
                team=member.team,
                external=member.external,
                organisation=member.organisation,
                with_totp=False,
            )
            created += 1
            found = await users.find_by_username(store, member.username)
            assert found is not None
        actors[member.username] = users.actor_of(found)

    return Staff(
        caseworkers={team: actors[name] for team, name in CASEWORKERS.items()},
        admin=actors["demo-admin"],
        external=actors["demo-panel"],
        created=created,
    )
