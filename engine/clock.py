"""Time for the engine: injectable, and shared with SpiffWorkflow's timers.

SpiffWorkflow's timer events read `datetime.now(timezone.utc)` from their own module. The engine
runs every unit of work inside `frozen_at(now)`, and the timer module's `datetime` is replaced by a
subclass whose `now()` answers the time of the current unit of work (a context variable, so threads
and workers never see each other's clocks). Outside a unit of work it is the real time.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
from datetime import datetime, timezone
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

Clock = Callable[[], datetime]

_current: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("engine_now", default=None)


def system_clock() -> datetime:
    """The real current time, in UTC."""
    return datetime.now(timezone.utc)


def company_zone() -> ZoneInfo:
    """The company's time zone, in which people read times and dates (APP_TIMEZONE, Asia/Shanghai)."""
    return ZoneInfo(os.environ.get("APP_TIMEZONE") or "Asia/Shanghai")


def as_utc(value: datetime) -> datetime:
    """A timezone-aware UTC datetime; naive values are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def parse_iso(value: str) -> datetime:
    """An ISO 8601 string as an aware UTC datetime (naive means UTC)."""
    return as_utc(datetime.fromisoformat(value))


def current_time() -> datetime:
    """The time of the unit of work in progress, else the real time."""
    return _current.get() or system_clock()


@contextlib.contextmanager
def frozen_at(now: datetime) -> Iterator[None]:
    """Make `now` the time that scripts and SpiffWorkflow timers see."""
    token = _current.set(as_utc(now))
    try:
        yield
    finally:
        _current.reset(token)


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: D102 - same signature as datetime.now
        value = _current.get()
        if value is None:
            return datetime.now(tz)
        return value.astimezone(tz) if tz else value.replace(tzinfo=None)


_spiff_timer.datetime = _EngineDatetime
