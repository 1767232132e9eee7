"""The inbox reads only what belongs to the user: checked on the query plans of SQLite and PostgreSQL,
with many other people's open tasks (and much history) in the database."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, text

from engine.inbox import actionable_query, group_queue_query, inbox_query
from engine.storage.models import HumanTask, TaskCandidate

OTHERS = 6000


def crowd(eng) -> None:
    """Open tasks of other people and groups, and closed history of the user's own group."""
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    inst = eng.start("small_approval", "alice", {"customer": "甲", "amount": 10})
    tasks, candidates = [], []
    for i in range(OTHERS):
        closed = i % 3 == 0
        tasks.append(dict(instance_id=inst.id, task_guid=f"00000000-0000-0000-0000-{i:012d}", bpmn_id="x",
                          title="x", process_id="small_approval", status="completed" if closed else "open",
                          assignee=None if i % 2 else f"someone{i % 50}", created_at=now))
    with eng.sa_engine.begin() as conn:
        conn.execute(insert(HumanTask), tasks)
        ids = conn.execute(text("SELECT id FROM human_task WHERE bpmn_id = 'x' ORDER BY id")).scalars().all()
        for i, task_id in enumerate(ids):
            closed = i % 3 == 0
            group = "cs_manager" if closed else f"group{i % 40}"  # the history is bob's group's
            candidates.append(dict(human_task_id=task_id, group_id=group, username=None, is_open=not closed))
            if i % 5 == 0:  # some are offered to one person
                candidates.append(dict(human_task_id=task_id, group_id=None, username=f"someone{i % 70}",
                                       is_open=not closed))
        conn.execute(insert(TaskCandidate), candidates)
        conn.execute(text("ANALYZE"))


def plan(eng, stmt) -> list[str]:
    sql = str(stmt.compile(eng.sa_engine, compile_kwargs={"literal_binds": True}))
    with eng.sa_engine.connect() as conn:
        if eng.locking:  # PostgreSQL: any path that is not a sequential scan, when one exists, is taken
            conn.execute(text("SET enable_seqscan = off"))
            return [row[0] for row in conn.execute(text("EXPLAIN " + sql))]
        return [row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql))]


FULL_READS = re.compile(r"^\s*(SCAN (human_task|task_candidate)\b)|Seq Scan on (human_task|task_candidate)"
                        r"|ix_human_task_status")


@pytest.mark.parametrize("name, build", [
    ("mine", lambda pg: inbox_query("bob")),
    ("group", lambda pg: group_queue_query("bob", ["cs_manager"], postgres=pg)),
    ("actionable", lambda pg: actionable_query("bob", ["cs_manager"], pg)),
])
def test_inbox_queries_read_only_the_users_own_rows(small, name, build):
    crowd(small)
    lines = plan(small, build(small.locking))
    bad = [line for line in lines if FULL_READS.search(line)]
    assert not bad, "\n".join(lines)
    if name != "mine":
        assert any("ix_candidate_open" in line for line in lines), "\n".join(lines)
        if small.locking:  # each offered task is looked up by its key, never joined by a scan
            assert any("human_task_pkey" in line for line in lines), "\n".join(lines)


def test_closing_a_task_closes_its_candidates_and_retry_reopens_them(small):
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 10})
    [task] = small.open_tasks(inst.id)
    assert [t.id for t in small.group_queue("bob")] == [task.id]
    small.complete(task.id, "bob", {"decision": "approve"})
    with small.sa_engine.connect() as conn:
        flags = conn.execute(text("SELECT is_open FROM task_candidate WHERE human_task_id = :i"),
                             {"i": task.id}).scalars().all()
    assert flags and not any(flags)
    assert task.id not in [t.id for t in small.group_queue("bob")]
