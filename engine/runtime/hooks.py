"""Attach, once per parsed spec, what SpiffWorkflow otherwise attaches to its specs at run time.

SpiffWorkflow wires some behaviour into the *spec* objects while an instance runs: a loop or
multi-instance task connects its child's completion to `merge_child` when it creates the first child,
and the start task connects an event subprocess (or a collaboration participant) to itself and to the
end when the event that triggers it arrives. SpiffWorkflow's own serializer copies the spec into every
state, so the wiring travels with it and is restored on load. The engine keeps one parsed spec per
definition and references it from the state, so a new process would see a spec without that wiring:
multi-instance parents that never complete, loops that stop after one pass, event subprocesses that
fail with "No input task connected". Doing the wiring here, right after parsing, makes a spec loaded
in a new process behave exactly like the one that ran before the restart, and keeps the shared spec
from being changed by one instance under another (a start task connected to an event subprocess
would run that subprocess at the start of every later instance).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask


def prepare(spec, subprocess_specs: dict) -> None:
    """Wire the spec and its subprocess specs the way a running instance would."""
    for process_spec in [spec, *subprocess_specs.values()]:
        _wire_loops(process_spec)
        _wire_triggers(process_spec)


def _wire_loops(process_spec) -> None:
    for task_spec in list(process_spec.task_specs.values()):
        if isinstance(task_spec, LoopTask):
            child = process_spec.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


def _wire_triggers(process_spec) -> None:
    """Give every event-triggered subprocess its input and its way to the end, but no path from the
    start: it still runs only when its event arrives (`trigger_wf` then finds it already wired)."""
    start, end = process_spec.start, process_spec.end
    for name in getattr(start, "trigger_specs", []):
        triggered = process_spec.task_specs.get(name)
        if triggered is None:
            continue
        if start.name not in triggered._inputs:
            triggered._connect_notify(start)
        if end.name not in triggered._outputs:
            triggered.connect(end)
