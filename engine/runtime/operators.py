"""Service-task operators: plain named functions, run inside the engine's unit of work.

The engine has one of its own (`notify`); extensions bring theirs (engine.extensions), and each Engine
runs with the operators of the extensions it was given.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy.orm import Session

from ..errors import EngineError


@dataclass
class OperatorContext:
    """What an operator may use: the open session (same transaction), the time, who and where."""

    session: Session
    now: datetime
    actor: str
    instance_id: int | None
    process_id: str
    notifications: list[dict[str, Any]]


Operator = Callable[..., Any]


def notify(ctx: OperatorContext, to: str, subject: str, body: str = "") -> dict[str, Any]:
    """Queue a notification for a user or `group:<id>`; it is stored with the step's audit."""
    note = {"to": to, "subject": subject, "body": body, "at": ctx.now.isoformat()}
    ctx.notifications.append(note)
    return note


BUILTIN: dict[str, Operator] = {"notify": notify}


def combine(*registries: Mapping[str, Operator]) -> dict[str, Operator]:
    """One registry from several; a name defined twice is a programming error."""
    out: dict[str, Operator] = {}
    for registry in registries:
        for name, fn in registry.items():
            if name in out and out[name] is not fn:
                raise ValueError(f"operator {name!r} defined twice")
            out[name] = fn
    return out


def call_operator(operators: Mapping[str, Operator], name: str, ctx: OperatorContext | None,
                  params: dict[str, Any]) -> Any:
    fn = operators.get(name)
    if fn is None:
        raise EngineError(f"unknown service operator {name!r}")
    if ctx is None:
        raise EngineError(f"operator {name!r} needs a unit of work")
    return fn(ctx, **params)
