"""When a timer start event starts its next instance: date, duration and cycle timers, as SpiffWorkflow
reads them, computed once at deploy and advanced by the worker after each start."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              DurationTimerEventDefinition,
                                                              TimerEventDefinition)

from ..clock import as_utc, frozen_at
from .scripting import evaluate


@dataclass(frozen=True)
class Plan:
    next_at: datetime | None
    remaining: int               # starts still to come; -1 for ever
    every_seconds: float | None  # cycles only


def plan(definition, now: datetime, element: str | None = None) -> Plan:
    """The first due time of a timer start event deployed at `now` (ScriptFailed when it cannot be read)."""
    value = evaluate(definition.expression, {}, element)
    with frozen_at(now):
        if isinstance(definition, CycleTimerEventDefinition):
            cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
            return Plan(as_utc(start), cycles, duration.total_seconds())
        if isinstance(definition, DurationTimerEventDefinition):
            delta = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(value), now)
            return Plan(now + delta, 1, None)
        return Plan(as_utc(TimerEventDefinition.parse_time_or_duration(value)), 1, None)


def advance(next_at: datetime, remaining: int, every_seconds: float | None) -> tuple[datetime | None, int]:
    """(next due time or None when done, starts remaining) after one start at `next_at`."""
    remaining = remaining - 1 if remaining > 0 else remaining
    if remaining == 0 or not every_seconds:
        return None, 0
    return next_at + timedelta(seconds=every_seconds), remaining
