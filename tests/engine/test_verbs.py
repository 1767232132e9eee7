"""The small approval walked through every verb of the engine."""
from __future__ import annotations

import pytest

from engine import Conflict, NotAllowed, NotFound


def start(small, amount=5000, user="alice"):
    return small.start("small_approval", user, {"customer": "华星电子", "amount": amount})


def test_start_projects_manager_task_to_group(small):
    inst = start(small)
    assert inst.status == "running"
    [task] = small.group_queue("bob")
    assert (task.bpmn_id, task.lane, task.assignee) == ("manager_approval", "cs_manager", None)
    assert small.group_queue("carol") == [task]
    assert small.tasks("alice") == [] and small.tasks("gina") == []
    assert small.data(inst.id)["level"] == "high"


def test_due_date_comes_from_boundary_timer(small, clock):
    start(small)
    [task] = small.tasks("bob")
    assert task.due_at == clock.now + __import__("datetime").timedelta(days=3)


def test_claim_moves_task_to_inbox_and_hides_it_from_others(small):
    start(small)
    [task] = small.tasks("bob")
    small.claim(task.id, "bob", reason="我来处理")
    assert [t.id for t in small.inbox("bob")] == [task.id]
    assert small.group_queue("carol") == []
    with pytest.raises(NotAllowed):
        small.complete(task.id, "carol", {"decision": "approve"})
    with pytest.raises(Conflict):
        small.claim(task.id, "carol")


def test_unclaim_returns_task_to_group(small):
    start(small)
    [task] = small.tasks("bob")
    small.claim(task.id, "bob")
    with pytest.raises(NotAllowed):
        small.unclaim(task.id, "carol")
    small.unclaim(task.id, "bob", reason="出差")
    assert [t.id for t in small.group_queue("carol")] == [task.id]


def test_delegate_within_group_only(small):
    start(small)
    [task] = small.tasks("bob")
    small.claim(task.id, "bob")
    with pytest.raises(NotAllowed):
        small.delegate(task.id, "bob", "gina")
    with pytest.raises(NotFound):
        small.delegate(task.id, "bob", "nobody")
    small.delegate(task.id, "bob", "carol", reason="休假")
    assert [t.id for t in small.inbox("carol")] == [task.id]
    kinds = [e.kind for e in small.audit_trail(task.instance_id)]
    assert kinds.count("delegated") == 1


def test_complete_walks_to_the_end_and_audits_each_decision(small):
    inst = start(small)
    [task] = small.tasks("bob")
    small.complete(task.id, "bob", {"decision": "approve", "comment": "同意"})
    [gm_task] = small.tasks("gina")
    assert gm_task.bpmn_id == "gm_approval"
    done = small.complete(gm_task.id, "gina", {"decision": "approve"})
    assert done.status == "completed" and done.ended_at is not None
    assert small.open_tasks(inst.id) == []
    events = small.audit_trail(inst.id)
    completed = [(e.actor, e.bpmn_id, e.data["form"]["decision"]) for e in events if e.kind == "completed"]
    assert completed == [("bob", "manager_approval", "approve"), ("gina", "gm_approval", "approve")]
    assert events[-1].kind == "instance_completed" and events[-1].actor == "engine"
    assert [t.bpmn_id for t in small.completed_tasks("bob")] == ["manager_approval"]


def test_reject_goes_back_to_applicant_then_round_two(small):
    inst = start(small)
    [task] = small.tasks("bob")
    small.complete(task.id, "bob", {"decision": "reject", "comment": "金额有误"})
    [revise] = small.tasks("alice")
    assert revise.bpmn_id == "revise"
    small.complete(revise.id, "alice", {"customer": "华星电子", "amount": 500})
    [again] = small.tasks("bob")
    assert again.id != task.id
    assert small.data(inst.id)["level"] == "low"


def test_only_the_start_lane_may_start(small):
    with pytest.raises(NotAllowed):
        small.start("small_approval", "bob", {"customer": "华星电子", "amount": 10})


def test_initiator_may_not_approve_own_request(small):
    inst = start(small, user="dave")  # dave is both staff and manager
    [task] = small.group_queue("dave")
    with pytest.raises(NotAllowed, match="may not approve"):
        small.complete(task.id, "dave", {"decision": "approve"})
    with pytest.raises(NotAllowed):
        small.delegate(task.id, "bob", "dave")
    small.complete(task.id, "bob", {"decision": "approve"})
    assert small.instance(inst.id).status == "running"


def test_cancel_by_initiator_closes_tasks(small):
    inst = start(small)
    with pytest.raises(NotAllowed):
        small.cancel(inst.id, "bob")
    cancelled = small.cancel(inst.id, "alice", reason="客户取消")
    assert cancelled.status == "cancelled"
    assert small.open_tasks(inst.id) == []
    assert small.instance(inst.id).status == "cancelled"
    with pytest.raises(Conflict):
        small.cancel(inst.id, "alice")


def test_timer_fires_with_injected_clock(small, clock):
    inst = start(small)
    assert small.fire_due_timers() == 0
    clock.advance(days=3, seconds=1)
    assert small.fire_due_timers() == 1
    kinds = [(e.kind, e.bpmn_id) for e in small.audit_trail(inst.id)]
    assert ("timer_fired", "manager_deadline") in kinds
    # non-interrupting: the manager's task stays open and the GM is asked to chase it
    assert sorted(t.bpmn_id for t in small.open_tasks(inst.id)) == ["escalated", "manager_approval"]
    assert [t.bpmn_id for t in small.tasks("gina")] == ["escalated"]
    assert small.instance(inst.id).next_timer_at is None
    assert small.fire_due_timers() == 0


def test_task_data_and_documentation(small):
    small.start("small_approval", "alice", {"customer": "华星电子", "amount": 5000})
    [task] = small.tasks("bob")
    assert small.task_data(task.id)["customer"] == "华星电子"
    assert small.task_documentation(task.id) == "审批 {{ customer }} 的申请，金额 {{ amount }}。"


def test_counts_and_titles_in_sql(small):
    first = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    second = small.start("small_approval", "alice", {"customer": "乙", "amount": 5})
    [task, _] = small.tasks("bob")
    small.claim(task.id, "bob")
    assert small.task_counts("bob") == {"mine": 1, "group": 1, "all": 2}
    assert small.task_counts("carol") == {"mine": 0, "group": 1, "all": 1}
    # without an extension's title rule a request is named after its process
    assert small.instance_titles([first.id, second.id]) == {first.id: "小额审批", second.id: "小额审批"}
    assert small.count_instances("small_approval") == 2 and small.count_instances(status="completed") == 0


def test_an_extension_names_its_requests_and_runs_its_verbs(small):
    from engine import Engine
    from engine.extensions import Extension
    named = Extension("test", title=lambda data: data.get("customer"))
    eng = Engine(small.sa_engine, forms_dir=small.forms.forms_dir, clock=small.clock, extensions=(named,))
    inst = eng.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    assert eng.instance_titles([inst.id]) == {inst.id: "小额审批 - 甲"}
    # an extension's own verb: one unit of work, audited on the system chain
    seen = eng.run_verb("count_users", "owen", lambda ctx: ctx.actor, {"why": "test"})
    assert seen == "owen"
    [event] = [e for e in eng.search_audit() if e.kind == "verb"]
    assert event.actor == "owen" and event.data == {"verb": "count_users", "why": "test"}
    assert eng.verify_audit()[1] == []


def test_task_page_filters_sorts_and_pages_by_keyset(small, clock):
    ids = []
    for i in range(5):
        ids.append(small.start("small_approval", "alice", {"customer": f"客户{i}", "amount": 5}).id)
        clock.advance(minutes=1)
    first, processes = small.task_page("bob", "group", sort="created", limit=2)
    assert processes == ["small_approval"] and first.total == 5 and first.start == 1
    assert [t.instance_id for t in first.items] == ids[:2] and first.has_next and not first.has_prev
    second, _ = small.task_page("bob", "group", sort="created", limit=2, after=first.last_id)
    assert [t.instance_id for t in second.items] == ids[2:4] and second.start == 3
    assert second.has_next and second.has_prev
    last, _ = small.task_page("bob", "group", sort="created", limit=2, after=second.last_id)
    assert [t.instance_id for t in last.items] == ids[4:] and not last.has_next and last.start == 5
    back, _ = small.task_page("bob", "group", sort="created", limit=2, before=last.first_id)
    assert back.items == second.items and back.has_next and back.has_prev
    due_first, _ = small.task_page("bob", "group", sort="due", limit=3)
    due_rest, _ = small.task_page("bob", "group", sort="due", limit=3, after=due_first.last_id)
    due = due_first.items + due_rest.items
    assert len({t.id for t in due}) == 5 and [t.due_at for t in due] == sorted(t.due_at for t in due)
    small.complete(second.items[0].id, "bob", {"decision": "approve"})
    # the anchor task was completed meanwhile: the next page still starts at its place in the order
    again, _ = small.task_page("bob", "group", sort="created", limit=2, after=second.items[0].id)
    assert [t.instance_id for t in again.items] == ids[3:5] and again.has_prev and again.start == 3
    # an anchor that names no task at all is the first page
    unknown, _ = small.task_page("bob", "group", sort="created", limit=2, after=10**9)
    assert [t.instance_id for t in unknown.items] == ids[:2] and not unknown.has_prev
    done, _ = small.task_page("bob", "done")
    assert done.total == 1 and small.task_page("bob", "group")[0].total == 4
    empty, _ = small.task_page("bob", "group", process_id="other")
    assert (empty.items, empty.total) == ([], 0)
