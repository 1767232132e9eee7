"""`make bench`: per-task cost of the engine against raw SpiffWorkflow, and how it ages.

(a) raw SpiffWorkflow in memory, per completed task: deserialize, complete, engine steps, serialize
(b) Engine.complete per task on a SQLite file: load, check, run, projection, audit, commit
(c) (b) on an instance that already holds 500 completed tasks (a rework loop)
(d) peak memory of the process after starting 10,000 instances
"""
from __future__ import annotations

import gc
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import Engine
from engine.storage.db import make_engine, upgrade
from engine.directory import load_directory_file
from engine.runtime.scripting import ScriptEngine

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PROCESS = "small_approval"
ROUNDS = 200
AGED_TASKS = 500
INSTANCES = 10_000


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)

    def __call__(self):
        self.now += timedelta(milliseconds=1)
        return self.now


def raw_per_task() -> float:
    """(a): the same two-user-task approval in plain SpiffWorkflow, state as JSON between steps."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DATA / "approval.bpmn"))
    spec, subs = parser.get_spec(PROCESS), parser.get_subprocess_specs(PROCESS)
    ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    script_engine = ScriptEngine()
    samples = []
    for _ in range(ROUNDS):
        wf = BpmnWorkflow(spec, subs, script_engine=script_engine)
        wf.task_tree.data.update({"customer": "甲", "amount": 5000})
        wf.do_engine_steps()
        state = ser.serialize_json(wf)
        for decision in ("approve", "approve"):
            t0 = time.perf_counter()
            wf = ser.deserialize_json(state)
            wf.script_engine = script_engine
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update({"decision": decision})
            task.run()
            wf.refresh_timers()
            wf.do_engine_steps()
            state = ser.serialize_json(wf)
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def new_engine(folder: Path) -> Engine:
    sa = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
    upgrade(sa)
    eng = Engine(sa, forms_dir=DATA / "forms", clock=Clock())
    eng.import_users(load_directory_file(DATA / "users.yaml"))
    eng.deploy_paths([DATA / "approval.bpmn"], "owen")
    return eng


def engine_per_task(eng: Engine, mail: bool = False) -> float:
    """(b): two completions per instance through the facade (with mail on: each new task queued too)."""
    eng.mail = mail
    samples = []
    for _ in range(ROUNDS):
        eng.start(PROCESS, "alice", {"customer": "甲", "amount": 5000})
        for user in ("bob", "gina"):
            task = eng.tasks(user)[0]
            t0 = time.perf_counter()
            eng.complete(task.id, user, {"decision": "approve"})
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def tasks_per_round() -> int:
    """How many SpiffWorkflow tasks one reject/revise round completes (counted in plain SpiffWorkflow)."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DATA / "approval.bpmn"))
    wf = BpmnWorkflow(parser.get_spec(PROCESS), parser.get_subprocess_specs(PROCESS), script_engine=ScriptEngine())
    wf.task_tree.data.update({"customer": "甲", "amount": 5000})
    wf.do_engine_steps()

    def completed() -> int:
        return len(wf.get_tasks(state=TaskState.COMPLETED))

    before = completed()
    for data in ({"decision": "reject"}, {"customer": "甲", "amount": 5000}):
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(data)
        task.run()
        wf.do_engine_steps()
    return completed() - before


def aged_per_task(eng: Engine) -> tuple[float, int]:
    """(c): reject/revise rounds until the instance holds AGED_TASKS completed tasks, then measure."""
    per_round = tasks_per_round()
    warm_rounds = -(-AGED_TASKS // per_round)
    inst = eng.start(PROCESS, "alice", {"customer": "乙", "amount": 5000})
    samples = []
    for round_no in range(warm_rounds + ROUNDS // 4):
        for user, data in (("bob", {"decision": "reject"}), ("alice", {"customer": "乙", "amount": 5000})):
            task = next(t for t in eng.open_tasks(inst.id) if t.bpmn_id in ("manager_approval", "revise"))
            t0 = time.perf_counter()
            eng.complete(task.id, user, data)
            if round_no >= warm_rounds:
                samples.append(time.perf_counter() - t0)
    return statistics.median(samples), warm_rounds * per_round


def peak_memory_after_starts(eng: Engine) -> tuple[float, float]:
    """(d): start INSTANCES instances in this process; peak RSS in MiB and the time per start."""
    gc.collect()
    t0 = time.perf_counter()
    for i in range(INSTANCES):
        eng.start(PROCESS, "alice", {"customer": f"客户{i}", "amount": 100 + i})
    per_start = (time.perf_counter() - t0) / INSTANCES
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak_kib / 1024, per_start


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        a = raw_per_task()
        eng = new_engine(folder)
        b = engine_per_task(eng)
        b_mail = engine_per_task(eng, mail=True)
        eng.mail = False
        c, aged = aged_per_task(eng)
        peak, per_start = peak_memory_after_starts(eng)
        eng.sa_engine.dispose()
    print("Two-user-task approval; medians per completed task")
    print(f"(a) raw SpiffWorkflow in memory (deserialize, complete, steps, serialize): {a * 1e6:9.0f} µs")
    print(f"(b) Engine.complete on a SQLite file (projection, audit, commit):          {b * 1e6:9.0f} µs")
    print(f"    (b) with mail on (new tasks queued in the outbox, SMTP_HOST set):     {b_mail * 1e6:9.0f} µs")
    print(f"(c) (b) on an instance holding ~{aged} completed tasks:                    {c * 1e6:9.0f} µs")
    print(f"(d) peak RSS after starting {INSTANCES:,} instances: {peak:.0f} MiB ({per_start * 1e6:.0f} µs per start)")
    print(f"ratio b/a = {b / a:.2f} (target <= 3)   ratio c/b = {c / b:.2f} (target <= 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
