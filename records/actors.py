"""Who is acting: the signed-in user as every records call sees them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Level = Literal["viewer", "caseworker", "manager", "admin"]

# Lowest to highest; a level holds every right of the levels before it.
LEVELS: tuple[Level, ...] = ("viewer", "caseworker", "manager", "admin")


def level_rank(level: str) -> int:
    try:
        return LEVELS.index(level)
    except ValueError as exc:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}") from exc


@dataclass(frozen=True)
class Actor:
    id: str
    username: str
    level: Level
    team: str
    external: bool = False
    ip: str | None = None
    # An external user's associated cases (ids), read afresh on every request
    # so that ending an association ends access at the next one.
    cases: frozenset[str] = frozenset()
    # The records manager's right (retention review, holds, disposal approval),
    # granted to internal users apart from their level.
    records_manager: bool = False

    def at_least(self, level: Level) -> bool:
        return level_rank(self.level) >= level_rank(level)

    def from_address(self, ip: str | None) -> Actor:
        return replace(self, ip=ip)

    def associated_to(self, case_ids: frozenset[str]) -> Actor:
        return replace(self, cases=case_ids)


# The actor recorded for command-line administration on the server's own machine.
SYSTEM = Actor(id="system", username="system", level="admin", team="", ip=None)
