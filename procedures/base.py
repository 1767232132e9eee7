"""What every procedure module shares: its own table metadata and its service-task operators.

The company's tables live on their own metadata (and their own Alembic branch), not on the engine's:
the engine could run another company's diagrams without them.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable

from sqlalchemy.orm import DeclarativeBase

from engine.extensions import JSON_TYPES, UTCDateTime, as_utc

# service-task operator name -> fn(ctx, **params); filled by the @operator decorators of the record modules
OPERATORS: dict[str, Callable[..., Any]] = {}


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, **JSON_TYPES}


def operator(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Name a function as the service-task operator `name` of the company's procedures."""
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in OPERATORS and OPERATORS[name] is not fn:
            raise ValueError(f"operator {name!r} defined twice")
        OPERATORS[name] = fn
        return fn
    return register


def when(value: Any) -> datetime | None:
    """A date-time from form data or an operator parameter, as aware UTC (None when empty)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(str(value)))


def day(value: Any) -> date | None:
    """A date (the date part of an ISO date or date-time; None when empty)."""
    if value in (None, ""):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return date.fromisoformat(str(value)[:10])
