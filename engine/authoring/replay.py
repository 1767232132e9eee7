"""Replay before deploy: what a new version of a process would have done with requests that already ran.

A request's audit trail holds everything people and the outside world gave it: the start form, each
completed task with its form data, who completed it and when, the timers that fired, the messages and
signals it caught, the returns (退回, and the corrections of a step redone aside), and the results of its
service steps. A replay starts the new
version with the same start data in memory, gives it the same inputs at the same times, and compares the
path it takes with the recorded one: the same path, a different one (which step first differs, and why:
the gateway's condition and the data it read, or a timer that fired at another time), or stuck (a step
failed, or it waits for something that never came). Nothing is written: service steps are not run (the
replay reuses the results they recorded), scripts and conditions run in the sandbox as they would.
"""
from __future__ import annotations

import ast
import json
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from ..runtime import events, runner
from ..runtime.scripting import ScriptEngine

SAME, DIFFERENT, STUCK = "same", "different", "stuck"
# what a replay gives the workflow, from the audit trail; everything else there (claims, comments, copies)
# changes no path
_INPUTS = ("completed", "timer_fired", "message_received", "signal_received", "returned", "reworked", "withdrawn",
           "cancel_requested")


@dataclass(frozen=True)
class Recorded:
    """One line of a request's audit trail, as a replay reads it."""

    kind: str
    at: datetime
    actor: str
    bpmn_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One element on a path: a person's task, an automatic step or a timer."""

    kind: str  # task | auto | timer
    bpmn_id: str
    name: str | None = None


@dataclass(frozen=True)
class ReplayOutcome:
    """What the new version did with one request.

    verdict: same, different or stuck. For a different path: `step` is where the paths part (the index
    into both), `was` what the request did there and `now` what the new version does instead (None: it
    ends, or waits for what was never given); `why` says which: `condition` (a gateway chose another flow:
    `gateway`, `condition` and the `values` it read), `timer` (a timer fired at another time: `timer`
    value), `waits` (the new version waits for a task the request never had), `ends` (it ends earlier or
    later) or `flow` (the diagram connects the steps differently). For stuck: `error` and `element`.
    """

    verdict: str
    step: int | None = None
    was: Step | None = None
    now: Step | None = None
    why: str | None = None
    gateway: str | None = None
    condition: str | None = None
    default_flow: bool = False  # the gateway took its default flow: `condition` is the one no longer met
    values: dict[str, Any] = field(default_factory=dict)
    timer: str | None = None
    error: str | None = None
    element: str | None = None
    ended_by_person: str | None = None  # withdrawn / cancelled: compared up to that point


class _ReplayScripts(ScriptEngine):
    """The sandboxed script engine, with service steps answered from what they recorded."""

    def __init__(self, results: dict[str, list[Any]]):
        super().__init__(None, {})
        self.results = results

    def call_service(self, task, **kwargs):
        recorded = self.results.get(task.task_spec.bpmn_id) or []
        return json.dumps(recorded.pop(0) if recorded else None, ensure_ascii=False)  # as operators answer


def recorded_path(trail: Iterable[Recorded]) -> list[Step]:
    """The path a request took, as its audit trail tells it."""
    kinds = {"completed": "task", "step_completed": "auto", "timer_fired": "timer"}
    return [Step(kinds[e.kind], e.bpmn_id, e.data.get("title") or e.data.get("name"))
            for e in trail if e.kind in kinds and e.bpmn_id]


class _Replay:
    def __init__(self, spec, subprocess_specs, trail: list[Recorded]):
        self.trail = trail
        results: dict[str, list[Any]] = {}
        for e in trail:
            produced = {k: v for k, v in e.data.items() if k != "name"}
            if e.kind == "step_completed" and e.bpmn_id and len(produced) == 1:
                results.setdefault(e.bpmn_id, []).append(next(iter(produced.values())))
        self.workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=_ReplayScripts(results))
        self.path: list[Step] = []
        self.tasks: list[Any] = []  # the replay's task behind each step of its path
        self.error: tuple[str, str | None] | None = None
        self.unapplied: Recorded | None = None
        self.ended_by: str | None = None
        self.reworking: str | None = None  # the task that returned a step to be redone aside (back_to_me)

    # -- feeding the workflow -------------------------------------------------------------------------
    def _ran(self, result: runner.RunResult) -> bool:
        for step in result.steps:
            self.path.append(Step("timer" if step.kind == "timer_fired" else "auto", step.bpmn_id, step.name))
            self.tasks.append(self.workflow.get_task_from_id(UUID(step.task_guid)))
        if result.error:
            self.error = (result.error, result.error_element)
            return False
        return True

    def start(self, started: Recorded, instance_id: int) -> bool:
        form = dict(started.data.get("form") or {})
        self.workflow.task_tree.data.update({**form, "initiator": started.actor, "instance_id": instance_id})
        if not self._ran(runner.run(self.workflow, started.at)):
            return False
        start_event = started.data.get("start_event")
        if not start_event:  # started by hand: it runs from its start event at once
            return True
        # started by a message, a signal or its own timer: the start event waits for that, as it did
        by = started.data.get("by")
        event = (events.make_event(by, started.data.get("name", ""), started.data.get("payload"))
                 if by in (events.MESSAGE, events.SIGNAL) else events.timer_start_event(self.workflow, start_event))
        if event is None or not events.catchers(self.workflow, event):
            self.unapplied = started
            return False
        return self._ran(runner.run(self.workflow, started.at + timedelta(microseconds=1)))

    def feed(self, event: Recorded) -> bool:
        """Give the workflow one recorded input; False when the replay cannot go on."""
        if not self._ran(runner.run(self.workflow, event.at)):  # timers due by then fire first
            return False
        if event.kind == "completed":
            return self._complete(event)
        if event.kind == "timer_fired":
            return True  # fired above when the new version's timer was due by then; compared on the path
        if event.kind in ("message_received", "signal_received"):
            kind = events.MESSAGE if event.kind.startswith("message") else events.SIGNAL
            caught = events.catchers(self.workflow, events.make_event(kind, event.data.get("name", ""),
                                                                      event.data.get("payload")))
            if not caught:
                self.unapplied = event
                return False
            return self._ran(runner.run(self.workflow, event.at))
        if event.kind == "returned":
            if event.data.get("mode") == "back_to_me":  # the step is redone aside; the returner's task waits
                self.reworking = event.bpmn_id
                return True
            return self._return(event)
        if event.kind == "reworked":
            return self._reworked(event)
        self.ended_by = event.kind  # withdrawn or cancelled by a person: nothing more to compare
        return False

    def until(self, now: datetime) -> None:
        """Let the time run on to `now` (timers due by then fire)."""
        self._ran(runner.run(self.workflow, now))

    def _complete(self, event: Recorded) -> bool:
        ready = [t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                 if t.task_spec.bpmn_id == event.bpmn_id]
        if not ready:
            self.unapplied = event
            return False
        task, form = ready[0], dict(event.data.get("form") or {})
        if hasattr(task.task_spec, "add_data_from_form"):
            task.task_spec.add_data_from_form(task, form)
        else:
            task.data.update(form)
        task.data[f"{event.bpmn_id}_by"] = event.actor
        self.path.append(Step("task", event.bpmn_id, task.task_spec.bpmn_name))
        self.tasks.append(task)
        return self._ran(runner.run_task(self.workflow, task, event.at))

    def _reworked(self, event: Recorded) -> bool:
        """The redone step's corrected answers go to the task that returned it, which then goes on."""
        waiting = [t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                   if t.task_spec.bpmn_id == self.reworking]
        if not waiting:
            self.unapplied = event
            return False
        waiting[0].data.update(dict(event.data.get("form") or {}))
        return True

    def _return(self, event: Recorded) -> bool:
        step = event.data.get("step")
        earlier = [t for t in self.workflow.get_tasks(state=TaskState.COMPLETED, manual=True)
                   if t.task_spec.bpmn_name == step or t.task_spec.bpmn_id == step]
        if not earlier:
            self.unapplied = event
            return False
        target = max(earlier, key=lambda t: t.last_state_change)
        self.workflow.reset_from_task_id(target.id, data=deepcopy(target.data))
        return True

    # -- comparing -------------------------------------------------------------------------------------
    def outcome(self, original: list[Step], ended: bool, waiting: frozenset[str], pending: bool) -> ReplayOutcome:
        first = _first_difference(original, self.path)
        if self.error is not None:
            return ReplayOutcome(STUCK, first, error=self.error[0], element=self.error[1])
        ready = self.workflow.get_tasks(state=TaskState.READY, manual=True)
        if first is None and self.ended_by:
            return ReplayOutcome(SAME, ended_by_person=self.ended_by)
        if first is None and pending and self.unapplied is None and len(self.path) >= len(original):
            return ReplayOutcome(SAME)  # the request's next steps wait for the worker: as far as it went
        if first is None and self.unapplied is None and len(original) == len(self.path):
            if ended == self.workflow.is_completed() and (ended or {t.task_spec.bpmn_id for t in ready} == waiting):
                return ReplayOutcome(SAME)
            if not ended and ready and waiting:  # both wait, at different tasks
                was_id = sorted(waiting)[0]
                was_spec = next((t for t in self.workflow.spec.task_specs.values()
                                 if getattr(t, "bpmn_id", None) == was_id), None)
                return self._parted(len(original), Step("task", was_id, getattr(was_spec, "bpmn_name", None)),
                                    ready[0])
        if first is None:
            first = min(len(original), len(self.path))
        was = original[first] if first < len(original) else None
        now = self.path[first] if first < len(self.path) else None
        now_task = self.tasks[first] if now is not None else None
        if now is None:  # the replay stopped where the request went on
            if self.workflow.is_completed():
                return ReplayOutcome(DIFFERENT, first, was=was, why="ends")
            if not ready:
                if self.workflow.get_tasks(state=TaskState.WAITING):
                    return ReplayOutcome(DIFFERENT, first, was=was, why="waits")
                return ReplayOutcome(STUCK, first, was=was, element=was.bpmn_id if was else None)
            now_task = ready[0]
            now = None
        return self._parted(first, was, now_task, now, from_path=now is not None)

    def _parted(self, first: int, was: Step | None, now_task, now: Step | None = None,
                from_path: bool = False) -> ReplayOutcome:
        """Why the replay went to `now` (its task `now_task`) where the request went to `was`."""
        now = now or Step("task", now_task.task_spec.bpmn_id, now_task.task_spec.bpmn_name)
        if now.kind == "timer" or (was is not None and was.kind == "timer"):
            timer_step = now if now.kind == "timer" else was
            return ReplayOutcome(DIFFERENT, first, was=was, now=now, why="timer",
                                 timer=_timer_value(self.workflow, timer_step.bpmn_id))
        if was is None:  # the request stopped (or waits) where the new version goes on
            return ReplayOutcome(DIFFERENT, first, now=now, why="goes_on")
        gateway = _deciding_gateway(now_task, was.bpmn_id)
        if gateway is not None:
            name, condition, default_flow, values = gateway
            return ReplayOutcome(DIFFERENT, first, was=was, now=now, why="condition", gateway=name,
                                 condition=condition, default_flow=default_flow, values=values)
        return ReplayOutcome(DIFFERENT, first, was=was, now=now, why="flow" if from_path else "waits")


def replay(spec, subprocess_specs, trail: list[Recorded], instance_id: int, ended: bool, now: datetime,
           waiting: frozenset[str] = frozenset(), pending: bool = False) -> ReplayOutcome:
    """Replay one request's recorded inputs (its audit trail, in order) through a new version (`spec`);
    `ended`: whether the request itself has ended (completed), so a replay that stops early or goes on is
    a different path. A request still running is replayed up to `now`, so timers due by then fire, and
    compared with the tasks it waits at (`waiting`, their element ids); `pending`: its next steps wait
    for the worker, so it is compared as far as it went."""
    started = next((e for e in trail if e.kind == "started"), None)
    original = recorded_path(trail)
    if started is None:
        return ReplayOutcome(STUCK, None, why="nothing")
    run = _Replay(spec, subprocess_specs, trail)
    if run.start(started, instance_id):
        if all(run.feed(event) for event in trail if event.kind in _INPUTS) and not ended:
            run.until(now)
    return run.outcome(original, ended, waiting, pending)


def _first_difference(original: list[Step], replayed: list[Step]) -> int | None:
    """Where the two paths part within their common length (None: one is the start of the other)."""
    for index, (a, b) in enumerate(zip(original, replayed)):
        if (a.kind, a.bpmn_id) != (b.kind, b.bpmn_id):
            return index
    return None


def _deciding_gateway(task, was_bpmn_id: str):
    """The gateway on the replay's way to `task` whose other branch leads to `was_bpmn_id` (the step the
    request took) and whose chosen branch does not: (its name, the condition that decided, whether the
    replay took the default flow, the values the condition read); None when no gateway explains it (the
    diagram itself connects the steps differently)."""
    child, current = task, getattr(task, "parent", None)
    while current is not None:
        spec = current.task_spec
        conditions = getattr(spec, "cond_task_specs", None)
        if conditions is not None and getattr(spec, "bpmn_id", None):
            specs = current.workflow.spec.task_specs  # the (sub)process the gateway belongs to
            branch = {name: _text(cond) for cond, name in conditions}
            default = getattr(spec, "default_task_spec", None)
            others = [n for n in [*branch, default] if n and n != child.task_spec.name and n in specs]
            leads = next((n for n in others if _reaches(specs[n], was_bpmn_id, spec)), None)
            if leads is not None and not _reaches(child.task_spec, was_bpmn_id, spec):
                taken = branch.get(child.task_spec.name)
                deciding = taken if taken is not None else branch.get(leads)
                return spec.bpmn_name or spec.bpmn_id, deciding, taken is None, _values(deciding, current.data)
        child, current = current, current.parent
    return None


def _reaches(start, bpmn_id: str, gateway, limit: int = 2000) -> bool:
    """Whether the element `bpmn_id` can follow the spec `start` without passing `gateway` again."""
    seen, queue = {start.name}, [start]
    while queue and len(seen) < limit:
        spec = queue.pop()
        if getattr(spec, "bpmn_id", None) == bpmn_id:
            return True
        for following in spec.outputs:
            if following is not gateway and following.name not in seen:
                seen.add(following.name)
                queue.append(following)
    return False


def _text(condition) -> str | None:
    """A gateway condition's expression (SpiffWorkflow keeps it as the operator's one argument)."""
    args = getattr(condition, "args", None)
    return args[0] if args and isinstance(args[0], str) else condition if isinstance(condition, str) else None


def _values(condition: str | None, data: dict[str, Any]) -> dict[str, Any]:
    if not condition:
        return {}
    try:
        names = {n.id for n in ast.walk(ast.parse(condition, mode="eval")) if isinstance(n, ast.Name)}
    except SyntaxError:
        return {}
    return {name: data[name] for name in sorted(names) if name in data}


def _timer_value(workflow, bpmn_id: str) -> str | None:
    for spec in workflow.spec.task_specs.values():
        if getattr(spec, "bpmn_id", None) == bpmn_id:
            definition = getattr(spec, "event_definition", None)
            return getattr(definition, "expression", None)
    return None
