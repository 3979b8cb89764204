"""Working days in England and Wales, and the periods deadlines are counted in.

Bank holidays are data: the `bank_holidays` collection is seeded from the
`holidays` library's England list (England and Wales share theirs) for the
years around today, and an administrator can replace any year's list when a
holiday is moved or added by proclamation.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from records import audit
from records.actors import Actor
from records.errors import InvalidInput
from records.policy import Action, require
from records.store import Store
from records.validation import Fields

BANK_HOLIDAYS = "bank_holidays"
LONDON = ZoneInfo("Europe/London")
SEEDED_YEARS_BEFORE, SEEDED_YEARS_AFTER = 2, 6
# A deadline is the end of its day in London: "due on 5 May" means by midnight.
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Period:
    """An amount of time a deadline is set at: one unit, from a workflow definition."""

    amount: int
    unit: str  # hours, days, working_days, months

    UNITS = ("hours", "days", "working_days", "months")

    @classmethod
    def parse(cls, value: Any, *, where: str) -> Period:
        if not isinstance(value, dict) or len(value) != 1:
            raise InvalidInput.field(where, f"give one of {', '.join(cls.UNITS)} and a number")
        unit, amount = next(iter(value.items()))
        if unit not in cls.UNITS:
            raise InvalidInput.field(where, f"must be one of {', '.join(cls.UNITS)}, not {unit!r}")
        if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= 3660:
            raise InvalidInput.field(where, "must be a whole number from 0 to 3660")
        return cls(amount, unit)

    def as_data(self) -> dict[str, int]:
        return {self.unit: self.amount}


class Calendar:
    """Bank holidays as loaded once for a computation; working days follow from them."""

    def __init__(self, bank_holidays: set[date]) -> None:
        self.bank_holidays = bank_holidays

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.bank_holidays

    def add_working_days(self, start: date, count: int) -> date:
        """count working days after start ("the next working day" is 1)."""
        day = start
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def due(self, start: datetime, period: Period) -> datetime:
        """When a deadline of period from start falls (UTC)."""
        if period.unit == "hours":
            return start + timedelta(hours=period.amount)
        local = start.astimezone(LONDON).date()
        if period.unit == "days":
            day = local + timedelta(days=period.amount)
        elif period.unit == "working_days":
            day = self.add_working_days(local, period.amount)
        else:
            day = add_months(local, period.amount)
        return datetime.combine(day, END_OF_DAY, LONDON).astimezone(UTC)


def add_months(day: date, count: int) -> date:
    """The same day count months on; the month's last day when it is shorter (31 Jan + 1)."""
    month = day.month - 1 + count
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def seed(store: Store) -> None:
    """Bank holidays for the years around today, for any year not yet held."""
    today = store.now().date()
    years = range(today.year - SEEDED_YEARS_BEFORE, today.year + SEEDED_YEARS_AFTER + 1)
    known = holidays.country_holidays("GB", subdiv="ENG", years=years)
    for year in years:
        days = sorted((d.isoformat(), str(name)) for d, name in known.items() if d.year == year)
        await store.db[BANK_HOLIDAYS].update_one(
            {"_id": year},
            {"$setOnInsert": {"days": [{"date": d, "name": n} for d, n in days], "source": "seed"}},
            upsert=True,
        )


async def load(store: Store) -> Calendar:
    days: set[date] = set()
    async for year in store.db[BANK_HOLIDAYS].find({}):
        days.update(date.fromisoformat(d["date"]) for d in year["days"])
    return Calendar(days)


async def bank_holidays(store: Store, actor: Actor) -> list[dict[str, Any]]:
    require(actor, Action.LISTS_READ)  # reference data, as the lists of values: internal only
    return [y async for y in store.db[BANK_HOLIDAYS].find({}).sort("_id", 1)]


async def set_year(store: Store, actor: Actor, year: int, data: Any) -> dict[str, Any]:
    """Replace one year's bank holidays (an administrator, after a proclamation)."""
    require(actor, Action.WORKFLOWS_MANAGE)
    if not 1900 <= year <= 2200:
        raise InvalidInput.field("year", "must be between 1900 and 2200")
    fields = Fields(data)
    fields.unknown({"days"})
    fields.check()
    listed = data.get("days")
    if not isinstance(listed, list) or len(listed) > 30:
        raise InvalidInput.field("days", "must be a list of at most 30 {date, name}")
    days: list[dict[str, str]] = []
    for number, entry in enumerate(listed, start=1):
        one = Fields(entry if isinstance(entry, dict) else {"date": None})
        day = one.date("date", required=True)
        name = one.text("name", max_length=100)
        one.check()
        assert day is not None and name is not None
        found = date.fromisoformat(day)
        if found.year != year:
            raise InvalidInput.field("days", f"entry {number}: {day} is not in {year}")
        if found.weekday() >= 5:
            # A bank holiday falling at a weekend is moved to a weekday (a substitute day).
            raise InvalidInput.field("days", f"entry {number}: {day} is a weekend day")
        if any(d["date"] == day for d in days):
            raise InvalidInput.field("days", f"entry {number}: {day} is listed twice")
        days.append({"date": day, "name": name})
    days.sort(key=lambda d: d["date"])

    await store.db[BANK_HOLIDAYS].replace_one(
        {"_id": year}, {"days": days, "source": actor.username}, upsert=True
    )
    await audit.record(
        store, actor, "bank_holidays.set", f"year:{year}", detail={"days": len(days)}
    )
    return {"_id": year, "days": days}
