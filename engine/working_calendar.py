"""工作日历: the days process owners enter (company closures, days the company works, a year's official
calendar the package does not know yet), read as the calendar every deadline follows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .audit import SYSTEM_CHAIN
from .directory import SYSTEM_USER
from .errors import FieldError, FormInvalid, NotAllowed, NotFound
from .clock import parse_iso
from .runtime import helpers, workdays
from .storage.models import CalendarDay

MAX_NAME = 100
FIRST_YEAR, LAST_YEAR = 2000, 2100


def load_calendar(session: Session) -> workdays.Calendar:
    """The working calendar as the database holds it (one query)."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.working, CalendarDay.official)).all()
    return workdays.Calendar({day: working for day, working, _ in rows},
                             frozenset(day.year for day, _, official in rows if official))


@dataclass(frozen=True)
class CalendarEntry:
    """A day a process owner entered."""

    day: date
    working: bool
    official: bool
    name: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class CalendarDate:
    """One day of the year as the calendar reads it. `kind`: workday, weekend, holiday (official day off),
    adjusted (调休: an official working weekend day), closure (the company is closed), opened (the company
    works a day it would not)."""

    day: date
    working: bool
    kind: str
    name: str
    entry: CalendarEntry | None


@dataclass(frozen=True)
class CalendarYear:
    year: int
    known: bool             # the official calendar of this year is known (package or entered)
    official_years: tuple[int, int]   # the first and last year the installed package knows
    dates: tuple[CalendarDate, ...]
    hours: tuple[tuple[str, str], ...]


def _entry(row: CalendarDay) -> CalendarEntry:
    return CalendarEntry(row.day, row.working, row.official, row.name, row.created_by, row.created_at)


def _read_date(value) -> date:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        raise FormInvalid([FieldError("day", "format", f"{value!r} is not a date (YYYY-MM-DD)")]) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise FormInvalid([FieldError("day", "range", f"the calendar covers {FIRST_YEAR} to {LAST_YEAR}")])
    return day


def _describe(calendar: workdays.Calendar, day: date, entry: CalendarEntry | None) -> CalendarDate:
    weekend = day.weekday() >= 5
    if entry is not None:
        if entry.official:
            kind = "adjusted" if entry.working and weekend else "holiday" if not entry.working else "workday"
        else:
            kind = "opened" if entry.working else "closure"
        return CalendarDate(day, entry.working, kind, entry.name, entry)
    working = calendar.official(day)
    name = workdays.official_name(day)
    if working:
        kind = "adjusted" if weekend else "workday"
    else:
        kind = "holiday" if name else "weekend"
    return CalendarDate(day, working, kind, name, None)


class CalendarVerbs:
    """Mixed into Engine; relies on its `_unit`, `session` and `_groups`."""

    def _require_calendar_owner(self, session: Session, user: str) -> None:
        if user != SYSTEM_USER and "process_owner" not in self._groups(session, user):
            raise NotAllowed(f"{user} may not change the working calendar (needs group process_owner)", "not_owner")

    def working_calendar(self) -> workdays.Calendar:
        """The calendar as deadlines read it now (for pages that count working days)."""
        with self.session() as s:
            return load_calendar(s)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`start` shifted by working days of the calendar (as the expression helper counts them)."""
        with self.session() as s, workdays.using(lambda: load_calendar(s)):
            return parse_iso(helpers.add_working_days(start.isoformat(), days))

    def calendar_year(self, year: int) -> CalendarYear:
        """Every day of `year` as the working calendar reads it, and whether the year is known."""
        if not FIRST_YEAR <= int(year) <= LAST_YEAR:
            raise NotFound(f"the calendar covers {FIRST_YEAR} to {LAST_YEAR}", "year_out_of_range")
        year = int(year)
        with self.session() as s:
            calendar = load_calendar(s)
            entries = {row.day: _entry(row) for row in s.scalars(select(CalendarDay).where(
                CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)))}
        first = date(year, 1, 1)
        days = (date(year + 1, 1, 1) - first).days
        dates = tuple(_describe(calendar, d, entries.get(d)) for d in (first + timedelta(n) for n in range(days)))
        return CalendarYear(year, calendar.knows(year), (min(workdays.OFFICIAL_YEARS), max(workdays.OFFICIAL_YEARS)),
                            dates, tuple((a.isoformat("minutes"), b.isoformat("minutes")) for a, b in calendar.hours))

    def unknown_years(self, now: datetime) -> list[int]:
        """This year and the next (in the company's time zone), where their official calendar is known to
        nobody: the notice to enter it."""
        calendar, year = self.working_calendar(), workdays.local_day(now).year
        return [y for y in (year, year + 1) if not calendar.knows(y)]

    def set_calendar_day(self, day, working: bool, name: str, user: str, official: bool = False) -> CalendarEntry:
        """Enter (or replace) a day: a company closure (`working` false), a day the company works, or, with
        `official`, a day of a year's official calendar. Process owners only."""
        day = _read_date(day)
        name = str(name or "").strip()
        if not name:
            raise FormInvalid([FieldError("name", "required", "say what the day is (e.g. 公司年度检修停产)")])
        if len(name) > MAX_NAME:
            raise FormInvalid([FieldError("name", "maxLength", f"at most {MAX_NAME} characters", MAX_NAME)])

        def work(unit) -> CalendarEntry:
            s = unit.session
            self._require_calendar_owner(s, user)
            row = s.get(CalendarDay, day)
            previous = None if row is None else {"working": row.working, "official": row.official, "name": row.name}
            if row is None:
                row = CalendarDay(day=day)
                s.add(row)
            row.working, row.official, row.name = bool(working), bool(official), name
            row.created_by, row.created_at = user, unit.now
            s.flush()
            unit.audit.append(kind="calendar_changed", actor=user, at=unit.now, chain=SYSTEM_CHAIN,
                              data={"day": day.isoformat(), "working": bool(working), "official": bool(official),
                                    "name": name, "previous": previous})
            return _entry(row)
        return self._unit(user, work)

    def remove_calendar_day(self, day, user: str) -> None:
        """Remove a day someone entered: it goes back to what China's calendar says. Process owners only."""
        day = _read_date(day)

        def work(unit) -> None:
            s = unit.session
            self._require_calendar_owner(s, user)
            row = s.get(CalendarDay, day)
            if row is None:
                raise NotFound(f"nobody entered {day.isoformat()} in the working calendar", "not_entered")
            unit.audit.append(kind="calendar_changed", actor=user, at=unit.now, chain=SYSTEM_CHAIN,
                              data={"day": day.isoformat(), "removed": {"working": row.working,
                                                                       "official": row.official, "name": row.name}})
            s.delete(row)
        return self._unit(user, work)
