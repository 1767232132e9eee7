"""(f) the inbox as the database fills: one user's queries with 1k, 100k and 1M open tasks of other people.

The user (bob) has about 1,000 tasks assigned and a handful offered to his group; everybody else's open
tasks, and closed history of his own group, are added in bulk between sizes. Each query is timed as the
web, the API and the CLI run it: the "mine" and "group" inbox pages (one page, sorted by due date, with
the total), the navigation counts, and the unpaged list of everything he can act on.
"""
from __future__ import annotations

import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, text

from engine import Engine
from engine.storage.models import HumanTask, TaskCandidate

SIZES = (1_000, 100_000, 1_000_000)
REPEAT = 15
CHUNK = 20_000
QUERIES = ("mine page", "group page", "counts", "actionable list")


def _rows(instance_id: int, start: int, count: int, now: datetime, assignee=lambda i: None, group=lambda i: None,
          user=lambda i: None, status="open"):
    tasks, candidates = [], []
    for i in range(start, start + count):
        tasks.append(dict(instance_id=instance_id, task_guid=str(uuid.UUID(int=i + 1)), bpmn_id="bulk",
                          title="批量任务", process_id="small_approval", status=status, assignee=assignee(i),
                          created_at=now, due_at=now + timedelta(hours=i % 500) if i % 3 else None))
        candidates.append((group(i), user(i)))
    return tasks, candidates


def _insert(eng: Engine, tasks, candidates, is_open: bool) -> None:
    with eng.sa_engine.begin() as conn:
        ids = [conn.execute(insert(HumanTask).returning(HumanTask.id), tasks[i:i + CHUNK]).scalars().all()
               for i in range(0, len(tasks), CHUNK)] if eng.locking else None
        if ids is None:  # SQLite: ids follow the insert order
            first = (conn.execute(text("SELECT coalesce(max(id), 0) FROM human_task")).scalar() or 0) + 1
            for i in range(0, len(tasks), CHUNK):
                conn.execute(insert(HumanTask), tasks[i:i + CHUNK])
            flat = list(range(first, first + len(tasks)))
        else:
            flat = [task_id for chunk in ids for task_id in chunk]
        rows = [dict(human_task_id=task_id, group_id=g, username=u, is_open=is_open)
                for task_id, (g, u) in zip(flat, candidates)]
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(TaskCandidate), rows[i:i + CHUNK])


def _timed(fn) -> float:
    samples = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def measure(eng: Engine) -> dict[int, dict[str, float]]:
    """Median seconds per query at each size."""
    now = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
    inst = eng.start("small_approval", "alice", {"customer": "甲", "amount": 5000})
    tasks, candidates = _rows(inst.id, 0, 1_000, now, assignee=lambda i: "bob", group=lambda i: "cs_manager")
    _insert(eng, tasks, candidates, True)
    tasks, candidates = _rows(inst.id, 1_000, 5, now, group=lambda i: "cs_manager")
    _insert(eng, tasks, candidates, True)
    queries = {
        "mine page": lambda: eng.task_page("bob", "mine", limit=20),
        "group page": lambda: eng.task_page("bob", "group", limit=20),
        "counts": lambda: eng.task_counts("bob"),
        "actionable list": lambda: eng.tasks("bob"),
    }
    results, filled, serial = {}, 1_005, 10_000
    for size in SIZES:
        missing = size - filled
        if missing > 0:
            # others' open tasks (some assigned, the rest offered to 200 other groups or one person), and
            # as much closed history of bob's own group
            tasks, candidates = _rows(inst.id, serial, missing, now, assignee=lambda i: f"u{i % 997}" if i % 4 == 0
                                      else None, group=lambda i: f"g{i % 200}" if i % 5 else None,
                                      user=lambda i: None if i % 5 else f"u{i % 991}")
            _insert(eng, tasks, candidates, True)
            serial += missing
            tasks, candidates = _rows(inst.id, serial, missing // 2, now, group=lambda i: "cs_manager",
                                      status="completed")
            _insert(eng, tasks, candidates, False)
            serial += missing // 2
            filled = size
            with eng.sa_engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        results[size] = {name: _timed(fn) for name, fn in queries.items()}
    return results


def report(backend: str, results: dict[int, dict[str, float]]) -> list[str]:
    sizes = " / ".join(f"{size:,}" for size in SIZES)
    lines = [f"(f) inbox on {backend}: median ms per query with {sizes} open tasks in the database; "
             f"ratio largest/smallest (target <= 1.5)"]
    small, large = results[SIZES[0]], results[SIZES[-1]]
    for name in QUERIES:
        cells = " / ".join(f"{results[size][name] * 1e3:7.2f}" for size in SIZES)
        lines.append(f"    {name:16} {cells}   ratio {large[name] / small[name]:5.2f}")
    return lines
