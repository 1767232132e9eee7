"""The working calendar: which days are worked and between which hours, for deadlines and expressions.

A day is worked as a process owner entered it (a company closure, or a year's official calendar the
`chinese-calendar` package does not know yet); else as China's official calendar says (holidays and
调休 working weekends, from the package, for the years its release knows); else Monday to Friday.
Day arithmetic runs in the company's time zone (APP_TIMEZONE, Asia/Shanghai).

The unit of work installs the calendar as a context (read from the database at most once per unit, when
a helper first asks); a sandbox process receives the same calendar with the code it runs, so both
answer alike. Helpers that reach a year nobody knows note it in `beyond`, which the unit records on the
request.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Callable, Iterator, Mapping
from zoneinfo import ZoneInfo

import chinese_calendar

from ..clock import company_zone

DEFAULT_HOURS = "08:30-12:00,13:00-17:30"
OFFICIAL_YEARS = frozenset(range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1))
# the helpers that read the calendar: code that names none of them needs no calendar in the sandbox
HELPER_NAMES = ("add_working_days", "is_working_day", "working_days_between", "add_working_hours",
                "add_business_days")


def parse_hours(text: str) -> tuple[tuple[time, time], ...]:
    """'08:30-12:00,13:00-17:30' as ordered (start, end) pairs; ValueError naming what is wrong."""
    spans = []
    for part in str(text).split(","):
        try:
            start, end = (time.fromisoformat(p.strip()) for p in part.split("-"))
        except ValueError:
            raise ValueError(f"working hours {text!r}: each span is HH:MM-HH:MM, spans separated by commas") from None
        if end <= start or (spans and start < spans[-1][1]):
            raise ValueError(f"working hours {text!r}: spans must run forward and not overlap")
        spans.append((start, end))
    return tuple(spans)


@dataclass
class Calendar:
    """The days process owners entered (date -> worked), the years whose official calendar they entered,
    and the working hours."""

    entered: Mapping[date, bool] = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()
    hours: tuple[tuple[time, time], ...] = field(default_factory=lambda: parse_hours(
        os.environ.get("APPROVALS_WORKING_HOURS") or DEFAULT_HOURS))
    beyond: set[int] = field(default_factory=set)  # years a helper reached that nobody knows

    def knows(self, year: int) -> bool:
        """True when the package's release or a process owner gave this year's official calendar."""
        return year in OFFICIAL_YEARS or year in self.entered_years

    def official(self, day: date) -> bool:
        """Whether China's calendar (or Monday to Friday, beyond the package's years) works this day."""
        if day.year in OFFICIAL_YEARS:
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def is_working(self, day: date) -> bool:
        """Whether the day is worked; a day of a year nobody knows is noted in `beyond`."""
        worked = self.entered.get(day)
        if worked is not None:
            return worked
        if not self.knows(day.year):
            self.beyond.add(day.year)
        return self.official(day)

    def to_json(self) -> dict[str, Any]:
        return {"entered": {d.isoformat(): w for d, w in self.entered.items()},
                "years": sorted(self.entered_years),
                "hours": [[a.isoformat("minutes"), b.isoformat("minutes")] for a, b in self.hours]}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Calendar:
        return cls({date.fromisoformat(d): bool(w) for d, w in value["entered"].items()},
                   frozenset(value["years"]),
                   tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in value["hours"]))


class _Source:
    """A calendar read on first use (one query per unit of work, none when no helper asks)."""

    def __init__(self, load: Callable[[], Calendar]):
        self.load = load
        self.value: Calendar | None = None

    def get(self) -> Calendar:
        if self.value is None:
            self.value = self.load()
        return self.value


_current: contextvars.ContextVar[_Source | None] = contextvars.ContextVar("working_calendar", default=None)


@contextlib.contextmanager
def using(load: Callable[[], Calendar]) -> Iterator[_Source]:
    """Make the calendar `load()` returns (read when first needed) the one helpers see."""
    source = _Source(load)
    token = _current.set(source)
    try:
        yield source
    finally:
        _current.reset(token)


def current() -> Calendar:
    """The calendar of the unit of work in progress; outside one, the official calendar alone."""
    source = _current.get()
    return Calendar() if source is None else source.get()


def loaded() -> Calendar | None:
    """The current calendar if something already read it (else None: nothing reached a year)."""
    source = _current.get()
    return source.value if source is not None else None


def official_name(day: date) -> str:
    """The name China's calendar gives the day (e.g. 'National Day'), or ''."""
    if day.year not in OFFICIAL_YEARS:
        return ""
    return str(chinese_calendar.get_holiday_detail(day)[1] or "")


def local_day(value: str | date | datetime) -> date:
    """A date as the company reads it: a datetime (naive = UTC) in its time zone, a 'YYYY-MM-DD' as is."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    else:
        text = str(value)
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(company_zone()).date()
