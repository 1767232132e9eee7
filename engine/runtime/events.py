"""Messages, signals and timer start events, read off SpiffWorkflow's specs and workflows.

Nothing here touches the database: the router (engine.messaging) and the start schedule
(engine.schedule) use these to know what an instance waits for, what a definition starts on, and to
build the events SpiffWorkflow catches.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as _Message
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition as _Signal
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition, SignalEventDefinition

MESSAGE, SIGNAL, TIMER = "message", "signal", "timer"


def kind_of(definition) -> str | None:
    if isinstance(definition, _Message):
        return MESSAGE
    if isinstance(definition, _Signal):
        return SIGNAL
    if isinstance(definition, TimerEventDefinition):
        return TIMER
    return None


def _expanded(definition) -> list:
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition]


@dataclass(frozen=True)
class Trigger:
    """A start event that is not started by hand."""

    bpmn_id: str
    kind: str
    name: str          # message or signal name; the timer's expression
    definition: Any = field(compare=False, hash=False, default=None)


def start_triggers(spec) -> list[Trigger]:
    """The message, signal and timer start events of a process (not of its event subprocesses)."""
    found = []
    for task_spec in spec.bpmn_start_events:
        for definition in _expanded(task_spec.event_definition):
            kind = kind_of(definition)
            if kind is not None:
                name = definition.expression if kind == TIMER else definition.name
                found.append(Trigger(task_spec.bpmn_id, kind, name, definition))
    return found


def started_by_hand(spec) -> bool:
    """True when some start event of the process is a plain (none) start event."""
    starts = spec.bpmn_start_events
    return not starts or any(all(kind_of(d) is None for d in _expanded(s.event_definition)) for s in starts)


def waits_of(workflow) -> set[tuple[str, str]]:
    """(kind, name) of every message and signal a running workflow can catch now: its waiting events and
    the start events of its event subprocesses."""
    waits = set()
    for task in workflow.event_manager.tasks.values():
        for definition in _expanded(getattr(task.task_spec, "event_definition", None)):
            kind = kind_of(definition)
            if kind in (MESSAGE, SIGNAL):
                waits.add((kind, definition.name))
    for name in getattr(workflow.spec.start, "trigger_specs", []):
        sub = workflow.subprocess_specs.get(name)
        for start in getattr(sub, "bpmn_start_events", []):
            for definition in _expanded(start.event_definition):
                kind = kind_of(definition)
                if kind in (MESSAGE, SIGNAL):
                    waits.add((kind, definition.name))
    return waits


def make_event(kind: str, name: str, payload: Any = None, correlations: dict | None = None) -> BpmnEvent:
    """An event from outside any instance, in the classes the spiff parser gives the catchers."""
    definition = MessageEventDefinition(name) if kind == MESSAGE else SignalEventDefinition(name)
    return BpmnEvent(definition, payload, correlations or {})


def thrown_signal(task) -> BpmnEvent | None:
    """The signal a completed throw event sent (signals reach every waiting instance, also when the
    sender caught them itself, so they are read off the step rather than the uncaught queue)."""
    spec = task.task_spec
    if not isinstance(spec, ThrowingEvent) or kind_of(spec.event_definition) != SIGNAL:
        return None
    definition = spec.event_definition
    expression = getattr(definition, "expression", None)
    payload = task.workflow.script_engine.evaluate(task, expression) if expression else None
    return BpmnEvent(definition, payload)


def catchers(workflow, event: BpmnEvent) -> int:
    """How many waiting tasks (or event subprocess starts) catch the event; catches it."""
    return workflow.event_manager.catch(event, internal=False)


def timer_start_event(workflow, bpmn_id: str) -> BpmnEvent | None:
    """The event that fires the waiting timer start event `bpmn_id` of a new workflow."""
    for task in workflow.event_manager.tasks.values():
        if task.task_spec.bpmn_id == bpmn_id:
            for definition in _expanded(task.task_spec.event_definition):
                if kind_of(definition) == TIMER:
                    return BpmnEvent(definition)
    return None
