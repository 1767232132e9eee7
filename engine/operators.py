"""Service-task operators: plain named functions, run inside the engine's unit of work."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session

from .errors import EngineError


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
_REGISTRY: dict[str, Operator] = {}


def operator(name: str) -> Callable[[Operator], Operator]:
    """Register a function as the service-task operator `name`; called as fn(ctx, **params)."""
    def register(fn: Operator) -> Operator:
        if name in _REGISTRY and _REGISTRY[name] is not fn:
            raise ValueError(f"operator {name!r} registered twice")
        _REGISTRY[name] = fn
        return fn
    return register


def known_operators() -> set[str]:
    _load_builtin_operators()
    return set(_REGISTRY)


def call_operator(name: str, ctx: OperatorContext | None, params: dict[str, Any]) -> Any:
    _load_builtin_operators()
    fn = _REGISTRY.get(name)
    if fn is None:
        raise EngineError(f"unknown service operator {name!r}")
    if ctx is None:
        raise EngineError(f"operator {name!r} needs a unit of work")
    return fn(ctx, **params)


def _load_builtin_operators() -> None:
    # The domain operators register themselves on import; importing here keeps the registry complete
    # wherever it is consulted (deploy checks, CLI, tests).
    from . import records  # noqa: F401


@operator("notify")
def notify(ctx: OperatorContext, to: str, subject: str, body: str = "") -> dict[str, Any]:
    """Queue a notification for a user or `group:<id>`; it is stored with the step's audit."""
    note = {"to": to, "subject": subject, "body": body, "at": ctx.now.isoformat()}
    ctx.notifications.append(note)
    return note
