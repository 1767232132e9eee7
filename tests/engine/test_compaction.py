"""A long rework loop stays small in storage and still behaves exactly like a fresh instance."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine.runtime.compaction import COMPACT_AT
from engine.storage.models import ProcessInstance


def _tree_size(small, instance_id) -> int:
    with small.Session() as s:
        state = s.scalars(select(ProcessInstance.state).where(ProcessInstance.id == instance_id)).one()
    return len(json.loads(state)["tasks"])


def test_rework_loop_is_compacted_and_finishes_correctly(small):
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5000})
    sizes = []
    for round_no in range(40):
        [review] = [t for t in small.open_tasks(inst.id) if t.bpmn_id == "manager_approval"]
        small.complete(review.id, "bob", {"decision": "reject", "comment": f"第{round_no}轮"})
        [revise] = small.open_tasks(inst.id)
        small.complete(revise.id, "alice", {"customer": "甲", "amount": 5000 + round_no})
        sizes.append(_tree_size(small, inst.id))
    assert max(sizes) <= COMPACT_AT + 15
    assert sizes[-1] <= sizes[10] + 5  # does not grow with the number of rounds
    # the loop still works: data is the newest, timers and due dates are still there
    assert small.data(inst.id)["amount"] == 5039
    [review] = small.open_tasks(inst.id)
    assert review.due_at is not None and small.instance(inst.id).next_timer_at is not None
    small.complete(review.id, "carol", {"decision": "approve"})
    [gm] = small.tasks("gina")
    done = small.complete(gm.id, "gina", {"decision": "approve"})
    assert done.status == "completed"
    rejects = [e for e in small.audit_trail(inst.id) if e.kind == "completed" and e.data["form"].get("decision") == "reject"]
    assert len(rejects) == 40  # the history is all in the audit trail
    assert small.verify_audit(inst.id)[1] == []
