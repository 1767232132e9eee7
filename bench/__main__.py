"""`make bench`: per-task cost of the engine against raw SpiffWorkflow, and how it ages.

(a) raw SpiffWorkflow per completed task: deserialize, complete, engine steps, serialize; three flavours:
    a-std  SpiffWorkflow's standard serializer (the whole spec inside every state), in memory
    a-ref  the engine's serializer (the state references its spec), in memory
    a      a-ref, and the state saved to a SQLite file with the engine's durability (one row, one commit):
           the job the engine does, without the engine; the ratios are against this one
(b) Engine.complete per task on a SQLite file: load, check, run, projection, audit, commit
(c) (b) on an instance that already holds 500 completed tasks (a rework loop)
(d) memory the instances take: resident-set growth while starting 10,000 instances (after setup)
(e) the approval over HTTP: `approvals serve`, one client with a token, per call (bench/http.py)
(f) one user's inbox queries with 1k, 100k and 1M open tasks in the database, SQLite and PostgreSQL
    (bench/inbox.py)
(g) completions per second over HTTP with 1, 2 and 4 web processes on PostgreSQL (bench/throughput.py)

Rounds interleave the measures, so noise on the machine hits all of them; each figure is reported as the
minimum and the median of the rounds' medians.
"""
from __future__ import annotations

import gc
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

from sqlalchemy import text

from bench import http, inbox, throughput
from engine import Engine
from engine.directory import load_directory_file
from engine.runtime.scripting import ScriptEngine
from engine.storage import serialization
from engine.storage.db import make_engine, sqlite_synchronous, upgrade

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
PROCESS = "small_approval"
ROUNDS = 5            # interleaved rounds
PER_ROUND = 40        # instances per round and measure (two completions each)
AGED_TASKS = 500
INSTANCES = 10_000


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)

    def __call__(self):
        self.now += timedelta(milliseconds=1)
        return self.now


def _parsed():
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DATA / "approval.bpmn"))
    return parser.get_spec(PROCESS), parser.get_subprocess_specs(PROCESS)


class Raw:
    """(a): the two-user-task approval in plain SpiffWorkflow, state as JSON between steps."""

    def __init__(self, folder: Path):
        self.spec, self.subs = _parsed()
        self.script_engine = ScriptEngine()
        self.standard = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.db = make_engine(f"sqlite:///{folder / 'raw.sqlite3'}")  # the engine's pragmas and durability
        with self.db.begin() as conn:
            conn.execute(text("CREATE TABLE state (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))

    def _load(self, flavour: str, state: str):
        if flavour == "a-std":
            wf = self.standard.deserialize_json(state)
            wf.script_engine = self.script_engine
            return wf
        return serialization.loads(state, self.spec, self.subs, self.script_engine)

    def _dump(self, flavour: str, wf) -> str:
        return self.standard.serialize_json(wf) if flavour == "a-std" else serialization.dumps(wf)

    def per_task(self, flavour: str) -> list[float]:
        samples = []
        for i in range(PER_ROUND):
            wf = BpmnWorkflow(self.spec, self.subs, script_engine=self.script_engine)
            wf.task_tree.data.update({"customer": "甲", "amount": 5000})
            wf.do_engine_steps()
            state = self._dump(flavour, wf)
            if flavour == "a":
                with self.db.begin() as conn:
                    row = conn.execute(text("INSERT INTO state (body) VALUES (:b)"), {"b": state}).lastrowid
            for decision in ("approve", "approve"):
                t0 = time.perf_counter()
                if flavour == "a":
                    with self.db.begin() as conn:
                        state = conn.execute(text("SELECT body FROM state WHERE id = :i"), {"i": row}).scalar()
                        wf = self._step(flavour, state, decision)
                        state = self._dump(flavour, wf)
                        conn.execute(text("UPDATE state SET body = :b WHERE id = :i"), {"b": state, "i": row})
                else:
                    wf = self._step(flavour, state, decision)
                    state = self._dump(flavour, wf)
                samples.append(time.perf_counter() - t0)
        return samples

    def _step(self, flavour: str, state: str, decision: str):
        wf = self._load(flavour, state)
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update({"decision": decision})
        task.run()
        wf.refresh_timers()
        wf.do_engine_steps()
        return wf


def new_engine(folder: Path, url: str | None = None) -> Engine:
    sa = make_engine(url or f"sqlite:///{folder / 'bench.sqlite3'}")
    upgrade(sa)
    eng = Engine(sa, forms_dir=DATA / "forms", clock=Clock())
    eng.import_users(load_directory_file(DATA / "users.yaml"))
    eng.deploy_paths([DATA / "approval.bpmn"], "owen")
    return eng


def engine_per_task(eng: Engine, mail: bool = False, rounds: int = PER_ROUND) -> list[float]:
    """(b): two completions per instance through the facade (with mail on: each new task queued too)."""
    eng.mail = mail
    samples = []
    for _ in range(rounds):
        inst = eng.start(PROCESS, "alice", {"customer": "甲", "amount": 5000})
        for user in ("bob", "gina"):
            [task] = eng.open_tasks(inst.id)
            t0 = time.perf_counter()
            eng.complete(task.id, user, {"decision": "approve"})
            samples.append(time.perf_counter() - t0)
    eng.mail = False
    return samples


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
    for round_no in range(warm_rounds + PER_ROUND):
        for user, data in (("bob", {"decision": "reject"}), ("alice", {"customer": "乙", "amount": 5000})):
            task = next(t for t in eng.open_tasks(inst.id) if t.bpmn_id in ("manager_approval", "revise"))
            t0 = time.perf_counter()
            eng.complete(task.id, user, data)
            if round_no >= warm_rounds:
                samples.append(time.perf_counter() - t0)
    return statistics.median(samples), warm_rounds * per_round


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def memory_of_starts(eng: Engine) -> tuple[float, float, float]:
    """(d): start INSTANCES instances; (resident growth, peak growth) in MiB, time per start. The peak is
    reset first (password hashing during setup costs 64 MiB a hash and is not what is measured)."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the peak resident size to the current one
    except OSError:
        pass
    before, peak_before = _rss_kib("VmRSS"), _rss_kib("VmHWM")
    t0 = time.perf_counter()
    for i in range(INSTANCES):
        eng.start(PROCESS, "alice", {"customer": f"客户{i}", "amount": 100 + i})
    per_start = (time.perf_counter() - t0) / INSTANCES
    return (_rss_kib("VmRSS") - before) / 1024, (_rss_kib("VmHWM") - peak_before) / 1024, per_start


def _figure(round_medians: list[float]) -> tuple[float, float]:
    return min(round_medians), statistics.median(round_medians)


def main() -> int:
    rounds: dict[str, list[float]] = {name: [] for name in ("a-std", "a-ref", "a", "b", "b-mail")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = Raw(folder)
        eng = new_engine(folder)
        engine_per_task(eng, rounds=10)  # warm both: caches, the sandbox, the first pages of the file
        raw.per_task("a")
        for _ in range(ROUNDS):
            for name in ("a-std", "a-ref", "a"):
                rounds[name].append(statistics.median(raw.per_task(name)))
            rounds["b"].append(statistics.median(engine_per_task(eng)))
            rounds["b-mail"].append(statistics.median(engine_per_task(eng, mail=True)))
        c, aged = aged_per_task(eng)
        resident, peak, per_start = memory_of_starts(eng)
        eng.sa_engine.dispose()
        raw.db.dispose()
    fig = {name: _figure(values) for name, values in rounds.items()}
    print(f"Two-user-task approval; per completed task, min / median of {ROUNDS} interleaved rounds "
          f"(SQLite synchronous={sqlite_synchronous()})")
    rows = (("a-std", "raw SpiffWorkflow, standard serializer (spec in every state), in memory"),
            ("a-ref", "raw SpiffWorkflow, the engine's serializer (spec by reference), in memory"),
            ("a", "raw SpiffWorkflow, engine's serializer, state saved to SQLite (same durability)"),
            ("b", "Engine.complete on a SQLite file (projection, audit, commit)"),
            ("b-mail", "(b) with mail on (new tasks queued in the outbox)"))
    for name, label in rows:
        low, mid = fig[name]
        print(f"({name:6}) {label:82} {low * 1e6:8.0f} / {mid * 1e6:8.0f} µs")
    print(f"(c)      (b) on an instance holding ~{aged} completed tasks, median: {c * 1e6:8.0f} µs")
    print(f"(d)      {INSTANCES:,} instances started: resident +{resident:.0f} MiB, peak +{peak:.0f} MiB "
          f"({per_start * 1e6:.0f} µs per start)")
    b, a, a_ref = fig["b"][1], fig["a"][1], fig["a-ref"][1]
    print(f"ratio b/a     = {b / a:.2f} (target <= 2.0; against the raw job with the same durability)")
    print(f"ratio b/a-ref = {b / a_ref:.2f} (the engine against SpiffWorkflow in memory, the engine's serializer)")
    print(f"ratio c/b     = {c / b:.2f} (target <= 3)")
    sys.stdout.flush()
    for line in http.report(http.measure()):
        print(line)
    sys.stdout.flush()
    for line in throughput.report(throughput.measure()):
        print(line)
    sys.stdout.flush()
    for line in inbox_figures():
        print(line)
    return 0


def inbox_figures() -> list[str]:
    """(f) on a SQLite file, and on a throwaway PostgreSQL server when one can be started here."""
    from tests.pg import PostgresServer

    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        eng = new_engine(Path(tmp))
        lines += inbox.report("SQLite", inbox.measure(eng))
        eng.sa_engine.dispose()
    server = PostgresServer()
    if not server.available:
        return lines + ["(f) PostgreSQL: not measured (no initdb/pg_ctl on this machine)"]
    try:
        eng = new_engine(Path("."), server.start())
        lines += inbox.report("PostgreSQL", inbox.measure(eng))
        eng.sa_engine.dispose()
    finally:
        server.stop()
    return lines


if __name__ == "__main__":
    sys.exit(main())
