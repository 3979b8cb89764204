"""Where each demo case stands in its workflow, reached as a caseworker would reach it.

The plan names the states a case should stand in and the milestone its
deadline falls on (demo.plan); this module opens the case and takes the
transitions of the shortest path there through records.transitions, dated
in the past, so that the timer tasks the workflow sets fall due on the
plan's days: some overdue, some due in the coming days, some met on time.

Dates come from the store's clock. Four offenders are filed at once, so the
clock is not simply set back: while loading, it reads the moment of the
asyncio task that is dating a move (a context variable), and the real time
everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from records import policy, tasks, transitions, working_days
from records.working_days import END_OF_DAY, LONDON, Calendar

if TYPE_CHECKING:
    from demo.plan import CasePlan
    from demo.staff import Staff
    from records.store import Store
    from records.workflows import Definition, Transition

# Cases are opened this many days before their deadline milestone.
LEAD = timedelta(days=30)
# Between two moves of a case that follow one another.
STEP = timedelta(hours=6)
NOON = time(12, 0)
REASON = "Recorded for the demonstration set (fictional casework)"

_MOMENT: ContextVar[datetime | None] = ContextVar("demo_moment", default=None)


@contextmanager
def backdating(store: Store) -> Iterator[None]:
    """The store's clock, for as long as the load runs, honours moments set with at()."""
    real = store.clock

    def clock() -> datetime:
        return _MOMENT.get() or real()

    store.clock = clock
    try:
        yield
    finally:
        store.clock = real


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """What the current asyncio task does meanwhile is dated moment (see backdating)."""
    token = _MOMENT.set(moment)
    try:
        yield
    finally:
        _MOMENT.reset(token)


def opened(case: CasePlan, today: date) -> datetime:
    """When the case was opened: a while before its deadline milestone."""
    return _noon(today + timedelta(days=case.deadline.days_from_today)) - LEAD


async def schedule(
    store: Store, staff: Staff, record: dict[str, Any], case: CasePlan, *, today: date
) -> list[str]:
    """Move a freshly opened case to the first of its planned states it can reach.

    The codes of the transitions taken; none when its type has no workflow.
    """
    definition = await transitions.definition_for(store, record)
    if definition is None:
        return []
    path = await _shortest_path(store, definition, record, case.stages)
    calendar = await working_days.load(store)
    moments = _moments(definition, path, case, today, calendar, now=store.now())

    caseworker = staff.caseworker(case.team)
    for transition, moment in zip(path, moments, strict=True):
        # A manager's move (closing, withdrawing) is the administrator's, who acts for any team.
        may = policy.may_take_transition(caseworker, record, transition.level)
        actor = caseworker if may else staff.admin
        with at(moment):
            await transitions.take(store, actor, str(record["_id"]), _body(transition, moment))
    return [t.code for t in path]


async def _shortest_path(
    store: Store, definition: Definition, record: dict[str, Any], stages: tuple[str, ...]
) -> list[Transition]:
    """The fewest transitions to the first reachable stage, passing only those it may take now.

    A transition's conditions hang on the case's documents, which moving does
    not change, so one that cannot be taken now is left out of the search.
    """
    takeable = [
        t
        for t in definition.transitions
        if not await transitions.unmet_conditions(store, record, t)
    ]
    start = str(record["state"])
    # Each state reached, with the move that reached it and the state it left.
    came_by: dict[str, tuple[Transition, str] | None] = {start: None}
    frontier = [start]
    while frontier:
        following = []
        for state in frontier:
            for t in takeable:
                if state in t.sources and t.target not in came_by:
                    came_by[t.target] = (t, state)
                    following.append(t.target)
        frontier = following

    goal = next((s for s in stages if s in came_by), start)
    path: list[Transition] = []
    while (step := came_by[goal]) is not None:
        path.insert(0, step[0])
        goal = step[1]
    return path


def _moments(
    definition: Definition,
    path: list[Transition],
    case: CasePlan,
    today: date,
    calendar: Calendar,
    *,
    now: datetime,
) -> list[datetime]:
    """When each move is taken: the one that sets the case's deadline so it falls on the plan's day.

    The moves before it follow the opening, those after it follow it, STEP apart.
    """
    if not path:
        return []
    anchor = _anchor(definition, path)
    due_day = today + timedelta(days=case.deadline.days_from_today)
    timer = next((t for t in definition.timers if t.on_enter == path[anchor].target), None)
    pivot = _noon(due_day) if timer is None else _set_for(due_day, timer.due, calendar)

    after = len(path) - anchor - 1
    start = opened(case, today)
    pivot = min(pivot, now - (after + 1) * STEP)
    pivot = max(pivot, start + (anchor + 1) * STEP)
    return [
        *(start + (number + 1) * STEP for number in range(anchor)),
        *(pivot + number * STEP for number in range(after + 1)),
    ]


def _anchor(definition: Definition, path: list[Transition]) -> int:
    """The last move into a state whose timer sets a deadline; the last move if none does."""
    timed = {t.on_enter for t in definition.timers}
    return max((n for n, t in enumerate(path) if t.target in timed), default=len(path) - 1)


def _set_for(due_day: date, period: working_days.Period, calendar: Calendar) -> datetime:
    """The latest noon from which a deadline of period falls due by the end of due_day."""
    due_by = datetime.combine(due_day, END_OF_DAY, LONDON)
    day = due_day
    while calendar.due(_noon(day), period) > due_by:
        day -= timedelta(days=1)
    return _noon(day)


def _noon(day: date) -> datetime:
    return datetime.combine(day, NOON, LONDON)


def _body(transition: Transition, moment: datetime) -> dict[str, str]:
    body = {"transition": transition.code}
    if "reason" in transition.requires:
        body["reason"] = REASON
    if "date" in transition.requires:
        body["date"] = moment.astimezone(LONDON).date().isoformat()
    return body


async def count_deadlines(store: Store) -> dict[str, int]:
    """The workflow's deadlines on file: open and due, open and overdue, met."""
    now = store.now()
    found = store.db[tasks.TASKS]
    return {
        "due": await found.count_documents({"state": "open", "due_at": {"$gte": now}}),
        "overdue": await found.count_documents({"state": "open", "due_at": {"$lt": now}}),
        "met": await found.count_documents({"state": "done", "outcome": "met"}),
    }
