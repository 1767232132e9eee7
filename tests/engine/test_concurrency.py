"""Two writers complete the same task at once: exactly one wins, the other gets Conflict."""
from __future__ import annotations

import multiprocessing
import threading

from engine import Conflict, Engine
from tests.conftest import DATA


def _outcome(fn) -> str:
    try:
        fn()
        return "ok"
    except Conflict:
        return "conflict"


def _assert_one_winner(small, inst_id, outcomes):
    assert sorted(outcomes) == ["conflict", "ok"]
    completions = [e for e in small.audit_trail(inst_id) if e.kind == "completed" and e.bpmn_id == "manager_approval"]
    assert len(completions) == 1
    assert [t.bpmn_id for t in small.open_tasks(inst_id)] in (["gm_approval"], ["revise"])
    assert small.verify_audit(inst_id)[1] == []


def test_two_threads_same_task_on_sqlite(small_sqlite):
    small = small_sqlite
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    [task] = small.tasks("bob")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(user, decision):
        barrier.wait()
        outcomes.append(_outcome(lambda: small.complete(task.id, user, {"decision": decision})))

    threads = [threading.Thread(target=worker, args=a) for a in (("bob", "approve"), ("carol", "reject"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _assert_one_winner(small, inst.id, outcomes)


def _complete_in_process(url, task_id, user, decision, barrier, results):
    from engine.storage.db import make_engine
    eng = Engine(make_engine(url), forms_dir=DATA / "forms")
    barrier.wait()
    results.put(_outcome(lambda: eng.complete(task_id, user, {"decision": decision})))
    eng.sa_engine.dispose()


def test_two_processes_same_task_on_postgresql(small_pg, pg_url):
    small, database_url = small_pg, pg_url
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    [task] = small.tasks("bob")
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_complete_in_process, args=(database_url, task.id, u, d, barrier, results))
             for u, d in (("bob", "approve"), ("carol", "reject"))]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    _assert_one_winner(small, inst.id, [results.get(timeout=5) for _ in procs])


def test_different_tasks_of_one_instance_are_both_applied(small, clock):
    """A claim racing a completion on the same instance: both land, in some order (no lost write)."""
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    clock.advance(days=3, seconds=1)
    small.fire_due_timers()  # opens the GM's chase task beside the manager's task
    [manager_task] = small.tasks("bob")
    [chase] = small.tasks("gina")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(fn):
        barrier.wait()
        outcomes.append(_outcome(fn))

    threads = [threading.Thread(target=run, args=(f,)) for f in (
        lambda: small.complete(manager_task.id, "bob", {"decision": "approve"}),
        lambda: small.claim(chase.id, "gina"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["ok", "ok"]
    kinds = [e.kind for e in small.audit_trail(inst.id)]
    assert "completed" in kinds and kinds.count("claimed") == 2  # implicit claim by bob, explicit by gina
    assert small.verify_audit(inst.id)[1] == []


def test_two_workers_never_fire_the_same_timer_twice(small, clock):
    """Workers on several machines: each due instance is run by exactly one of them."""
    instances = [small.start("small_approval", "alice", {"customer": f"客户{i}", "amount": 5}) for i in range(4)]
    clock.advance(days=3, seconds=1)
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def worker():
        barrier.wait()
        fired.append(small.fire_due_timers())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(fired) == 4
    for inst in instances:
        timer_events = [e for e in small.audit_trail(inst.id) if e.kind == "timer_fired"]
        assert len(timer_events) == 1
        assert [t.bpmn_id for t in small.open_tasks(inst.id)].count("escalated") == 1
