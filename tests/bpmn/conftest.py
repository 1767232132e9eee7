"""The BPMN coverage suite: one small diagram per element, walked twice with the same steps.

`bpmn.run_both(files, process_id, start_data, steps)` walks a diagram

- raw in SpiffWorkflow (SpiffBpmnParser, BpmnWorkflow, do_engine_steps, READY manual tasks completed
  with `task.run()`), with the engine's restricted script engine so expressions behave the same and
  SpiffWorkflow's timers reading a simulated clock, and
- in the real `Engine`, deployed by a process owner, with a new Engine for every call (start, every
  task completion, every `fire_due_timers`), so nothing held in memory survives from one step to the
  next,

then checks that both reached the same status through the same path, and returns both outcomes for
the test's own assertions. The path is what the audit trail records: tasks completed by people
(`completed`), automatic steps (`step_completed`: scripts, business rules, end events, call
activities, throw events) and timers (`timer_fired`), each with its BPMN id, in order.

Steps (the same list drives both walks):
    complete(bpmn_id, data, times=1)  complete the first open task with that id (data may be a
                                      function of the task's data), `times` times
    advance(fires=None, **delta)      move the clock; the engine then runs `fire_due_timers(now)`
                                      (`fires` asserts whether it ran the instance)
    expect_open(*bpmn_ids)            the open tasks right now (any order)
    expect_timer(**delta)             the earliest waiting timer is due `delta` from now;
                                      `expect_timer()` with no delta: no timer is waiting
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine import Engine
from engine.clock import as_utc, frozen_at
from engine.runtime.scripting import ScriptEngine
from tests.conftest import build_engine
from tests.restart import RestartingEngine

HERE = Path(__file__).resolve().parent
DIAGRAMS = HERE / "diagrams"
FORMS = HERE / "forms"
USERS = HERE / "users.yaml"
INITIATOR = "alice"
OWNER = "owen"

PATH_KINDS = ("completed", "step_completed", "timer_fired")
# Automatic steps the audit trail records, by SpiffWorkflow spec class name.
AUDITED_STEPS = {"ScriptTask", "ServiceTask", "BusinessRuleTask", "EndEvent", "CallActivity",
                 "IntermediateThrowEvent", "SendTask"}


# -- steps --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Complete:
    bpmn_id: str
    data: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None = None
    times: int = 1


@dataclass(frozen=True)
class Advance:
    delta: timedelta
    fires: bool | None = None


@dataclass(frozen=True)
class ExpectOpen:
    bpmn_ids: tuple[str, ...]


@dataclass(frozen=True)
class ExpectTimer:
    delta: timedelta | None


def complete(bpmn_id: str, data=None, times: int = 1) -> Complete:
    return Complete(bpmn_id, data, times)


def advance(fires: bool | None = None, **delta) -> Advance:
    return Advance(timedelta(**delta), fires)


def expect_open(*bpmn_ids: str) -> ExpectOpen:
    return ExpectOpen(tuple(bpmn_ids))


def expect_timer(**delta) -> ExpectTimer:
    return ExpectTimer(timedelta(**delta) if delta else None)


# -- outcomes -----------------------------------------------------------------------------------
@dataclass
class Outcome:
    status: str
    path: list[tuple[str, str]]
    data: dict[str, Any]
    open: list[str]
    error: str | None = None
    # engine only
    instance_id: int | None = None
    trail: list = field(default_factory=list)
    tasks: list = field(default_factory=list)   # every human task row of the instance (TaskView)

    def ids(self, kind: str | None = None) -> list[str]:
        """The BPMN ids on the path (of one kind)."""
        return [b for k, b in self.path if kind is None or k == kind]


def _is_timer_spec(spec) -> bool:
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, TimerEventDefinition)


def _timer_fired(task) -> bool:
    """A completed timer event, or an event-based gateway that went down its timer's branch (it keeps
    the events it saw in `seen_events`; a signal or message branch is not a timer firing)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        seen = task.internal_data.get("seen_events") or []
        return any(isinstance(e.event_definition, TimerEventDefinition) for e in seen)
    return isinstance(definition, TimerEventDefinition)


def _due(task) -> datetime | None:
    """When a waiting SpiffWorkflow timer task is due, from its own internal data."""
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        value = value.get("next") if value.get("cycles") != 0 else None
    if not isinstance(value, str):
        return None
    return as_utc(datetime.fromisoformat(value))


# -- the raw walk -------------------------------------------------------------------------------
class RawRun:
    """The diagram in plain SpiffWorkflow, in memory, on a simulated clock."""

    name = "raw SpiffWorkflow"

    def __init__(self, files: list[Path], process_id: str, now: datetime):
        parser = SpiffBpmnParser()
        for path in files:
            if path.suffix == ".dmn":
                parser.add_dmn_file(str(path))
            else:
                parser.add_bpmn_file(str(path))
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
        self.workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=ScriptEngine())
        self.now = as_utc(now)
        self.path: list[tuple[str, str]] = []
        self.error: str | None = None

    def _record(self, task) -> None:
        spec = task.task_spec
        if spec.bpmn_id is None or spec.manual:
            return
        if _timer_fired(task):
            self.path.append(("timer_fired", spec.bpmn_id))
        elif type(spec).__name__ in AUDITED_STEPS:
            self.path.append(("step_completed", spec.bpmn_id))

    def _steps(self) -> None:
        if self.error:
            return
        try:
            with frozen_at(self.now):
                self.workflow.refresh_timers()
                self.workflow.do_engine_steps(did_complete_task=self._record)
        except SpiffWorkflowException as exc:
            self.error = str(exc)

    def start(self, data: dict[str, Any]) -> None:
        self.workflow.task_tree.data.update({**data, "initiator": INITIATOR})
        self._steps()

    def open(self) -> list:
        return list(self.workflow.get_tasks(state=TaskState.READY, manual=True))

    @staticmethod
    def bpmn_id(task) -> str:
        return task.task_spec.bpmn_id

    @staticmethod
    def task_data(task) -> dict[str, Any]:
        return dict(task.data)

    def complete(self, task, data: dict[str, Any]) -> None:
        task.data.update(data)
        with frozen_at(self.now):
            task.run()
        self.path.append(("completed", task.task_spec.bpmn_id))
        self._steps()

    def advance(self, delta: timedelta) -> int | None:
        self.now += delta
        self._steps()
        return None

    def next_timer(self) -> datetime | None:
        dues = [_due(t) for t in self.workflow.get_tasks(state=TaskState.WAITING) if _is_timer_spec(t.task_spec)]
        dues = [d for d in dues if d is not None]
        return min(dues) if dues else None

    def clock(self) -> datetime:
        return self.now

    def outcome(self) -> Outcome:
        wf = self.workflow
        if self.error or wf.get_tasks(state=TaskState.ERROR):
            status = "error"
        elif wf.is_completed():
            status = "completed" if wf.success else "cancelled"
        else:
            status = "running"
        data = dict(wf.data) if wf.is_completed() else dict((wf.last_task or wf.task_tree).data)
        return Outcome(status, list(self.path), data, sorted(self.bpmn_id(t) for t in self.open()), self.error)


# -- the engine walk ----------------------------------------------------------------------------
class EngineRun:
    """The deployed diagram in the Engine; every call goes to a brand-new Engine."""

    name = "Engine (new Engine per call)"

    def __init__(self, harness: Harness, process_id: str):
        self.harness = harness
        self.engine = harness.engine
        self.process_id = process_id
        self.instance_id: int | None = None

    def start(self, data: dict[str, Any]) -> None:
        self.instance_id = self.engine.start(self.process_id, INITIATOR, data).id

    def open(self) -> list:
        return self.engine.open_tasks(self.instance_id)

    @staticmethod
    def bpmn_id(task) -> str:
        return task.bpmn_id

    def task_data(self, task) -> dict[str, Any]:
        return self.engine.task_data(task.id)

    def complete(self, task, data: dict[str, Any]) -> None:
        self.engine.complete(task.id, self.harness.actor_for(task), data)

    def advance(self, delta: timedelta) -> int:
        now = self.harness.clock.advance(seconds=delta.total_seconds())
        return self.engine.fire_due_timers(now)

    def next_timer(self) -> datetime | None:
        return self.engine.instance(self.instance_id).next_timer_at

    def clock(self) -> datetime:
        return as_utc(self.harness.clock.now)

    def outcome(self) -> Outcome:
        view = self.engine.instance(self.instance_id)
        trail = self.engine.audit_trail(self.instance_id)
        path = [(e.kind, e.bpmn_id) for e in trail if e.kind in PATH_KINDS]
        return Outcome(view.status, path, self.engine.data(self.instance_id),
                       sorted(t.bpmn_id for t in self.open()), view.error, self.instance_id, trail,
                       self.engine.instance_tasks(self.instance_id))


def drive(run, start: dict[str, Any], steps: list) -> Outcome:
    """Walk one run through the steps; every failure names the run and the step."""
    run.start(dict(start))
    for number, step in enumerate(steps, 1):
        where = f"{run.name}, step {number} {step}"
        if isinstance(step, Complete):
            for _ in range(step.times):
                matches = [t for t in run.open() if run.bpmn_id(t) == step.bpmn_id]
                assert matches, f"{where}: no open {step.bpmn_id!r}; open: {[run.bpmn_id(t) for t in run.open()]}" \
                                f"; status {run.outcome().status} {run.outcome().error or ''}"
                task = matches[0]
                data = step.data(run.task_data(task)) if callable(step.data) else dict(step.data or {})
                run.complete(task, data)
        elif isinstance(step, Advance):
            fired = run.advance(step.delta)
            if step.fires is not None and fired is not None:
                assert fired == int(step.fires), f"{where}: fire_due_timers ran {fired} instances"
        elif isinstance(step, ExpectOpen):
            assert sorted(run.bpmn_id(t) for t in run.open()) == sorted(step.bpmn_ids), where
        elif isinstance(step, ExpectTimer):
            expected = None if step.delta is None else run.clock() + step.delta
            assert run.next_timer() == expected, where
        else:
            raise TypeError(f"unknown step {step!r}")
    return run.outcome()


# -- the fixture --------------------------------------------------------------------------------
class Harness:
    def __init__(self, url: str, clock):
        self.clock = clock
        self.setup_engine = build_engine(url, clock, USERS, FORMS)
        self.sa_engine = self.setup_engine.sa_engine
        self.engine = RestartingEngine(self.sa_engine, forms_dir=FORMS, clock=clock)
        directory = yaml.safe_load(USERS.read_text(encoding="utf-8"))
        self.members: dict[str, list[str]] = {}
        for user in directory["users"]:
            for group in user.get("groups", []):
                self.members.setdefault(group, []).append(user["username"])

    def plain_engine(self) -> Engine:
        """One Engine kept across calls (its parsed specs are shared by every instance it runs)."""
        return Engine(self.sa_engine, forms_dir=FORMS, clock=self.clock)

    def actor_for(self, task) -> str:
        """Who completes a task: its assignee, else a candidate user, else a member of a candidate group
        other than the initiator (no self-approval)."""
        if task.assignee:
            return task.assignee
        if task.candidate_users:
            return task.candidate_users[0]
        for group in task.candidate_groups:
            for user in self.members.get(group, []):
                if user != INITIATOR:
                    return user
        raise AssertionError(f"nobody can complete task {task.bpmn_id}")

    def deploy(self, *names: str) -> None:
        """Deploy the files one by one, in the order given (DMN and called processes first)."""
        for name in names:
            deployed = self.engine.deploy_paths([DIAGRAMS / name], OWNER)
            assert deployed, f"{name} was not deployed"

    def run_raw(self, files: list[str], process_id: str, start: dict[str, Any], steps: list) -> Outcome:
        return drive(RawRun([DIAGRAMS / f for f in files], process_id, self.clock.now), start, steps)

    def run_engine(self, process_id: str, start: dict[str, Any], steps: list) -> Outcome:
        return drive(EngineRun(self, process_id), start, steps)

    def run_engine_outcome(self, instance_id: int) -> Outcome:
        """The outcome of an instance walked by hand."""
        run = EngineRun(self, "")
        run.instance_id = instance_id
        return run.outcome()

    def run_both(self, files: list[str], process_id: str, start: dict[str, Any] | None = None,
                 steps: list | None = None) -> tuple[Outcome, Outcome]:
        """Deploy `files` (in order), walk raw and in the engine, and check both took the same path."""
        start, steps = start or {}, steps or []
        raw = self.run_raw(files, process_id, start, steps)
        self.deploy(*files)
        calls_before = self.engine.calls
        eng = self.run_engine(process_id, start, steps)
        assert self.engine.calls - calls_before >= len(steps) + 1, "every step runs on a new Engine"
        assert eng.status == raw.status, f"status: engine {eng.status} ({eng.error}), raw {raw.status} ({raw.error})"
        assert eng.path == raw.path, f"path differs\n engine: {eng.path}\n    raw: {raw.path}"
        assert eng.open == raw.open
        return raw, eng

    def close(self) -> None:
        self.sa_engine.dispose()


@pytest.fixture
def bpmn(sqlite_url, clock):
    harness = Harness(sqlite_url, clock)
    yield harness
    harness.close()
