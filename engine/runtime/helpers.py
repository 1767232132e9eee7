"""Functions that BPMN expressions and scripts may call by name (see docs/BPMN_CONVENTIONS.md)."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..clock import as_utc, company_zone, current_time
from . import workdays


MAX_WORKING_DAYS = 10_000


def _parse(iso: str) -> datetime:
    return as_utc(datetime.fromisoformat(str(iso)))


def now() -> str:
    """The engine's current time as an ISO 8601 UTC string."""
    return current_time().isoformat()


def today() -> str:
    """The current date (UTC), YYYY-MM-DD."""
    return current_time().date().isoformat()


def hours_until(iso: str) -> float:
    """Hours from now until the given time; negative when it has passed."""
    return (_parse(iso) - current_time()).total_seconds() / 3600


def add_days(iso: str, days: float) -> str:
    """The given time shifted by a number of days."""
    return (_parse(iso) + timedelta(days=days)).isoformat()


def add_hours(iso: str, hours: float) -> str:
    """The given time shifted by a number of hours."""
    return (_parse(iso) + timedelta(hours=hours)).isoformat()


def _local(iso: str) -> datetime:
    return _parse(iso).astimezone(company_zone())


def add_working_days(iso: str, days: int) -> str:
    """The given time shifted by working days of the working calendar (holidays, 调休 and company closures
    counted; at the same time of day, in the company's time zone), at most 10,000 of them."""
    if abs(int(days)) > MAX_WORKING_DAYS:
        raise ValueError(f"at most {MAX_WORKING_DAYS:,} working days")
    calendar = workdays.current()
    value = _local(iso)
    step = 1 if days >= 0 else -1
    remaining = abs(int(days))
    while remaining:
        value += timedelta(days=step)
        if calendar.is_working(value.date()):
            remaining -= 1
    return as_utc(value).isoformat()


add_business_days = add_working_days  # the name the first diagrams used; it follows the calendar too


def is_working_day(iso: str) -> bool:
    """True when the day (a 'YYYY-MM-DD' date, or a time read in the company's time zone) is worked."""
    return workdays.current().is_working(workdays.local_day(iso))


def working_days_between(start: str, end: str) -> int:
    """Working days after `start`'s day up to and including `end`'s day (negative when `end` is earlier):
    `working_days_between(t, add_working_days(t, n)) == n`."""
    calendar = workdays.current()
    first, last = workdays.local_day(start), workdays.local_day(end)
    step = 1 if last >= first else -1
    if abs((last - first).days) > MAX_WORKING_DAYS * 2:
        raise ValueError(f"at most {MAX_WORKING_DAYS * 2:,} days apart")
    count, day = 0, first
    while day != last:
        day += timedelta(days=step)
        if calendar.is_working(day if step > 0 else day + timedelta(days=1)):
            count += step
    return count


def add_working_hours(iso: str, hours: float) -> str:
    """The time when `hours` of working time (working days, within the working hours) have passed since the
    given time; a time outside working hours starts at the next working hour."""
    hours = float(hours)
    if not 0 <= hours <= MAX_WORKING_DAYS * 24:
        raise ValueError(f"working hours must be between 0 and {MAX_WORKING_DAYS * 24:,}")
    calendar = workdays.current()
    value = _local(iso)
    left = timedelta(hours=hours)
    for _ in range(MAX_WORKING_DAYS * 2):
        if calendar.is_working(value.date()):
            for start, end in calendar.hours:
                begin = max(value, value.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0))
                finish = value.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
                if begin >= finish:
                    continue
                if begin + left <= finish:
                    return as_utc(begin + left).isoformat()
                left -= finish - begin
                value = finish
        value = (value + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    raise ValueError(f"no working time within {MAX_WORKING_DAYS * 2:,} days")


def local_time(iso: str, with_time: bool = True) -> str:
    """A time as people read it in messages: in the company's time zone (APP_TIMEZONE, Asia/Shanghai by
    default), "2026-11-27 09:00" (or the date alone)."""
    value = _parse(iso).astimezone(company_zone())
    return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


EXPOSED = {f.__name__: f for f in (now, today, hours_until, add_days, add_hours, add_working_days, is_working_day,
                                   working_days_between, add_working_hours, local_time)}
EXPOSED["add_business_days"] = add_business_days
