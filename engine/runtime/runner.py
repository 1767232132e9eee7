"""Runs a workflow until it waits for a person or a timer, and says what happened on the way."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from ..clock import frozen_at, parse_iso
from ..errors import ScriptFailed
from . import sandbox
from .bounded import is_bounded
from .events import thrown_signal

# SpiffWorkflow logs every step at INFO; that costs ~45% per step when a handler is attached.
logging.getLogger("spiff").setLevel(logging.WARNING)

_INSTANT = timedelta(microseconds=1)
_RECORDED = ("ScriptTask", "ServiceTask", "BusinessRuleTask", "EndEvent", "CallActivity",
             "IntermediateThrowEvent", "SendTask")


@dataclass
class StepRecord:
    """One automatic step worth an audit line."""

    kind: str  # step_completed | timer_fired
    task_guid: str
    bpmn_id: str
    name: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    steps: list[StepRecord] = field(default_factory=list)
    signals: list = field(default_factory=list)  # BpmnEvents of signals thrown on the way
    error: str | None = None
    error_element: str | None = None
    deferred: bool = False  # the step budget ran out: the worker continues from here


class _StepBudgetSpent(Exception):
    """Raised before a step when the run's time is up; the step stays READY for the continuation."""


def _budget_check(seconds: float | None, write_locked: Callable[[], bool] | None = None):
    """Before each step: stop when the step budget is spent; and when the step would run code in the sandbox
    process while this unit holds SQLite's write lock, put that code on a short leash (sandbox.LEASH): past
    it, the step is left to the worker, which runs it in a unit of its own with the full budget."""
    if seconds is None and write_locked is None:
        return None
    deadline = None if seconds is None else time.monotonic() + seconds

    def will_complete(task) -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise _StepBudgetSpent
        locked = write_locked is not None and runs_sandboxed_code(task.task_spec) and write_locked()
        sandbox.LEASH.set(sandbox.LEASH_SECONDS if locked else None)
    return will_complete


def _left_to_worker(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, sandbox.LeftToWorker):
            return True
        seen.add(id(exc))
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    return False


def runs_sandboxed_code(spec) -> bool:
    """True when a step's scripts, conditions or multi-instance expressions would run in the sandbox
    process (their cost cannot be read from their shape); read once per spec."""
    known = getattr(spec, "_approvals_sandboxed", None)
    if known is None:
        code = [(getattr(spec, name, None), "exec") for name in ("script", "prescript", "postscript")]
        code += [(condition, "eval") for condition, _name in getattr(spec, "cond_task_specs", None) or ()]
        code += [(getattr(spec, name, None), "eval") for name in ("cardinality", "condition")]
        known = any(isinstance(text, str) and text.strip() and not is_bounded(text, mode) for text, mode in code)
        spec._approvals_sandboxed = known
    return known


def is_timer(task) -> bool:
    """A timer event, or an event-based gateway (a multiple event) that waits on a timer."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, TimerEventDefinition)


def _timer_caught(task) -> bool:
    """A timer event fired; an event-based gateway only when its timer won (it keeps what it caught)."""
    if not isinstance(task.task_spec.event_definition, MultipleEventDefinition):
        return True
    return any(isinstance(e.event_definition, TimerEventDefinition)
               for e in task.internal_data.get("seen_events", []))


def _recorder(result: RunResult):
    steps = result.steps

    def did_complete(task) -> None:
        spec = task.task_spec
        if spec.bpmn_id is None or spec.manual:
            return
        signal = thrown_signal(task)
        if signal is not None:
            result.signals.append(signal)
        if is_timer(task):
            if _timer_caught(task):
                steps.append(StepRecord("timer_fired", str(task.id), spec.bpmn_id, spec.bpmn_name))
        elif type(spec).__name__ in _RECORDED:
            data = {}
            result_var = getattr(spec, "result_variable", None)
            if result_var and result_var in task.data:
                data = {result_var: task.data[result_var]}
            steps.append(StepRecord("step_completed", str(task.id), spec.bpmn_id, spec.bpmn_name, data))
    return did_complete


def run(workflow: BpmnWorkflow, now: datetime, wake: list | None = None, seconds: float | None = None,
        write_locked: Callable[[], bool] | None = None) -> RunResult:
    """Fire due timers, then run engine steps; a failing script becomes `error`, never an exception.
    `wake`: tasks whose update failed before (see `stalled_tasks`), updated again first. `seconds`: the
    step budget; once spent, no further step starts and the result is `deferred` (the worker goes on).
    `write_locked`: whether the unit holds SQLite's write lock now (see `_budget_check`)."""
    result = RunResult()
    try:
        with frozen_at(now):
            for task in wake or ():
                task.task_spec._update(task)
        # do_engine_steps refreshes timers only at its end, so refresh first. SpiffWorkflow fires a
        # timer only when `due < now`; the inbox and the records count a task as overdue at its due
        # instant, so the refresh looks one microsecond later and the timer fires at that instant too.
        with frozen_at(now + _INSTANT):
            workflow.refresh_timers()
        leash = sandbox.LEASH.set(None)
        try:
            with frozen_at(now):
                workflow.do_engine_steps(will_complete_task=_budget_check(seconds, write_locked),
                                         did_complete_task=_recorder(result))
        finally:
            sandbox.LEASH.reset(leash)
    except _StepBudgetSpent:
        result.deferred = True
    except Exception as exc:  # noqa: BLE001 - any failure in a step is the instance's error, never a 500
        if _left_to_worker(exc):
            for task in workflow.get_tasks(state=TaskState.ERROR):
                task._set_state(TaskState.READY)  # not run: nothing it did was kept
            result.deferred = True
        else:
            _fail(result, workflow, exc)
    return result


def run_task(workflow: BpmnWorkflow, task, now: datetime, seconds: float | None = None,
             write_locked: Callable[[], bool] | None = None) -> RunResult:
    """Run a READY user task (its post-script, its output mapping), then what follows it; a failure
    there is the instance's error, named after the task, like any other failing step."""
    try:
        with frozen_at(now):
            task.run()
    except Exception as exc:  # noqa: BLE001
        result = RunResult()
        _fail(result, workflow, exc, task)
        return result
    return run(workflow, now, seconds=seconds, write_locked=write_locked)


def _fail(result: RunResult, workflow: BpmnWorkflow, exc: Exception, task=None) -> None:
    spec = getattr(exc, "task_spec", None) or getattr(getattr(exc, "task", None), "task_spec", None)
    if spec is None and task is not None:
        spec = task.task_spec
    if spec is None:  # not a SpiffWorkflow error: the step left in ERROR, else the task being updated
        failed = workflow.get_tasks(state=TaskState.ERROR)
        spec = failed[0].task_spec if failed else _task_in_traceback(exc)
    result.error_element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
    detail = str(exc) if isinstance(exc, SpiffWorkflowException) else f"{exc.__class__.__name__}: {exc}"
    notes = getattr(exc, "notes", None) or getattr(exc, "__notes__", None) or []
    if notes:
        detail += " (" + "; ".join(str(n) for n in notes) + ")"
    detail = detail.splitlines()[0].strip().rstrip(".") if detail.strip() else exc.__class__.__name__
    result.error = str(ScriptFailed(detail, result.error_element))


def _task_in_traceback(exc: Exception):
    """The spec of the innermost SpiffWorkflow frame's `my_task` (its name for the task at hand)."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        task = tb.tb_frame.f_locals.get("my_task")
        if getattr(getattr(task, "task_spec", None), "bpmn_id", None):
            found = task.task_spec
        tb = tb.tb_next
    return found


@dataclass
class Snapshot:
    """What the save needs to know about a workflow, from one walk over its tasks."""

    ready: list = field(default_factory=list)   # READY user tasks
    errors: int = 0
    next_timer_at: datetime | None = None       # the earliest waiting timer, for the worker's index


def snapshot(workflow: BpmnWorkflow) -> Snapshot:
    snap = Snapshot()
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.ERROR | TaskState.WAITING):
        if task.state == TaskState.READY:
            if task.task_spec.manual:
                snap.ready.append(task)
        elif task.state == TaskState.ERROR:
            snap.errors += 1
        elif is_timer(task):
            due = timer_due(task)
            if due is not None and (snap.next_timer_at is None or due < snap.next_timer_at):
                snap.next_timer_at = due
    return snap


def timer_due(task) -> datetime | None:
    """When a waiting timer task fires next (None when it has no due time yet).

    SpiffWorkflow keeps the evaluated due time in the task's `event_value`: an ISO string for date and
    duration timers (also inside an event-based gateway), {"next": ISO, ...} for cycles."""
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None


def errored_tasks(workflow: BpmnWorkflow):
    return workflow.get_tasks(state=TaskState.ERROR)


def reset_errors(workflow: BpmnWorkflow, data: dict[str, Any] | None = None, element: str | None = None) -> list:
    """Make failed tasks READY again (optionally with corrected data) so the next run retries them;
    returns them (a user task whose post-script failed is open again for its person). A task of the
    failed `element` that completed but could not hand on its data (an output mapping) counts as failed."""
    tasks = list(errored_tasks(workflow))
    if element:
        tasks += [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == element
                  and t.children and all(c.state == TaskState.FUTURE for c in t.children)]
    for task in tasks:
        if data:
            task.data.update(data)
        task._set_state(TaskState.READY)
    return tasks


def stalled_tasks(workflow: BpmnWorkflow, element: str | None, data: dict[str, Any] | None = None) -> list:
    """Tasks of `element` that failed while being prepared (e.g. a multi-instance collection that was
    missing): still FUTURE under a completed parent. Given the corrected data, `run(wake=...)` retries them."""
    if not element:
        return []
    found = [t for t in workflow.get_tasks(state=TaskState.FUTURE)
             if t.task_spec.bpmn_id == element and t.parent is not None and t.parent.state == TaskState.COMPLETED]
    for task in found:
        if data:
            task.data.update(data)
    return found


def status_of(workflow: BpmnWorkflow, snap: Snapshot, error: str | None) -> str:
    if error or snap.errors:
        return "error"
    if workflow.is_completed():
        return "completed" if workflow.success else "cancelled"
    return "running"
