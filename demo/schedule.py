"""Where each demo case stands in its workflow: the one place to adapt when workflows land.

The plan decides every case's stage and its milestones (demo.plan: _STAGES and
_MILESTONES), from the seed alone; this module hands them to the records
layer. Workflows (issue 8) are not on main yet, so for now it only counts the
milestones for the summary, and every case stays in records.cases' initial state.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from demo.plan import CasePlan
    from records.actors import Actor
    from records.store import Store


async def schedule(
    store: Store,
    actor: Actor,
    record: dict[str, Any],
    case: CasePlan,
    tally: Counter[str],
    *,
    fresh: bool,
) -> None:
    """Put a case where its plan says and give it its deadlines; for now, count them.

    TODO(issue 8): once workflows exist, and only when fresh (a case this load
    created, so a second load changes nothing), move record from its workflow's
    initial state towards case.stage through the records layer's transitions, and
    set a deadline for each milestone due at today plus days_from_today, completed
    when milestone.met.
    """
    for milestone in case.milestones:
        tally[milestone.status] += 1
