"""The demo organisation: users for every role and instances in flight in every procedure."""
from __future__ import annotations

import importlib
from pathlib import Path

USERS_FILE = Path(__file__).with_name("users.yaml")
# One module per procedure, each with seed(engine, now) -> number of instances started.
PROCEDURES = ("customer", "tour", "complaint", "contract", "visit", "survey")


def load_demo(engine) -> int:
    """Start the demo instances once; a second load adds nothing."""
    if engine.instances(limit=1):
        return 0
    started = 0
    for name in PROCEDURES:
        module = importlib.import_module(f"{__package__}.{name}.demo")
        started += module.seed(engine, engine.now()) or 0
    return started


def complete(engine, instance_id: int, user: str, bpmn_id: str | None, data: dict) -> None:
    """Complete the user's open task of an instance (the one with `bpmn_id`, when given)."""
    task = next(t for t in engine.tasks(user)
                if t.instance_id == instance_id and (bpmn_id is None or t.bpmn_id == bpmn_id))
    engine.complete(task.id, user, data)
