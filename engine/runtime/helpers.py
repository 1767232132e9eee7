"""Functions that BPMN expressions and scripts may call by name (see docs/BPMN_CONVENTIONS.md)."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..clock import as_utc, company_zone, current_time


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


def add_business_days(iso: str, days: int) -> str:
    """The given time shifted by working days (Monday to Friday), at most 10,000 of them."""
    if abs(int(days)) > MAX_WORKING_DAYS:
        raise ValueError(f"at most {MAX_WORKING_DAYS:,} working days")
    value = _parse(iso)
    step = 1 if days >= 0 else -1
    remaining = abs(int(days))
    while remaining:
        value += timedelta(days=step)
        if value.weekday() < 5:
            remaining -= 1
    return value.isoformat()


def local_time(iso: str, with_time: bool = True) -> str:
    """A time as people read it in messages: in the company's time zone (APP_TIMEZONE, Asia/Shanghai by
    default), "2026-11-27 09:00" (or the date alone)."""
    value = _parse(iso).astimezone(company_zone())
    return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


EXPOSED = {f.__name__: f for f in (now, today, hours_until, add_days, add_hours, add_business_days, local_time)}
