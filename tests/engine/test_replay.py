"""Replay before deploy: a draft's new version against the recorded history of the deployed version's
requests: same path, a different path (where and why), or stuck; nothing written."""
from __future__ import annotations

import pytest

from engine import NotAllowed, SpecInvalid
from tests.conftest import DATA, build_engine

XML = (DATA / "approval.bpmn").read_text(encoding="utf-8")
APPROVE = 'decision == "approve"'


def open_task(eng, instance_id, bpmn_id):
    return next(t for t in eng.open_tasks(instance_id) if t.bpmn_id == bpmn_id)


@pytest.fixture
def history(small, clock):
    """Four requests of version 1: approved to the end; rejected, revised, approved by the manager and
    waiting for the GM; waiting for the manager; withdrawn by its applicant... cancelled."""
    approved = small.start("small_approval", "alice", {"customer": "甲", "amount": 5000})
    small.complete(open_task(small, approved.id, "manager_approval").id, "bob", {"decision": "approve"})
    clock.advance(hours=1)
    small.complete(open_task(small, approved.id, "gm_approval").id, "gina", {"decision": "approve"})
    revised = small.start("small_approval", "alice", {"customer": "乙", "amount": 300})
    small.complete(open_task(small, revised.id, "manager_approval").id, "bob", {"decision": "reject"})
    small.complete(open_task(small, revised.id, "revise").id, "alice", {"customer": "乙", "amount": 400})
    small.complete(open_task(small, revised.id, "manager_approval").id, "bob", {"decision": "approve"})
    waiting = small.start("small_approval", "alice", {"customer": "丙", "amount": 2000})
    clock.advance(hours=2)
    cancelled = small.start("small_approval", "alice", {"customer": "丁", "amount": 10})
    small.cancel(cancelled.id, "alice", "写错了")
    return {"approved": approved.id, "revised": revised.id, "waiting": waiting.id, "cancelled": cancelled.id}


def replay_of(eng, xml, user="owen"):
    draft = eng.save_draft("small_approval", "approval.bpmn", xml, user, base_version=1)
    return {r.instance_id: r for r in eng.replay_draft(draft.id, user).requests}, draft


def test_an_unchanged_version_takes_every_request_down_the_same_path(small, history):
    audit_before = len(small.search_audit())
    replays, _draft = replay_of(small, XML.replace("审批 {{ customer }}", "请审批 {{ customer }}"))
    assert set(replays) == set(history.values())
    assert {i: r.outcome.verdict for i, r in replays.items()} == {i: "same" for i in history.values()}
    assert replays[history["cancelled"]].outcome.ended_by_person == "cancel_requested"
    # nothing written: no audit line, no instance moved, no task opened
    assert len(small.search_audit()) == audit_before
    assert [t.bpmn_id for t in small.open_tasks(history["waiting"])] == ["manager_approval"]


def test_a_changed_condition_names_the_gateway_the_condition_and_the_data(small, history):
    stricter = XML.replace(APPROVE, 'decision == "approve" and amount &lt; 1000')
    replays, draft = replay_of(small, stricter)
    outcome = replays[history["approved"]].outcome  # 5000: the manager's approval now sends it back
    assert outcome.verdict == "different" and outcome.why == "condition"
    assert (outcome.was.bpmn_id, outcome.now.bpmn_id) == ("gm_approval", "revise")
    assert outcome.gateway == "经理意见" and outcome.default_flow
    assert outcome.condition == 'decision == "approve" and amount < 1000'
    assert outcome.values == {"amount": 5000, "decision": "approve"}
    assert replays[history["revised"]].outcome.verdict == "same"  # 400 stays under the new limit
    assert replays[history["waiting"]].outcome.verdict == "same"  # nobody decided yet
    report = small.replay_draft(draft.id, "owen")
    assert report.counts == {"same": 3, "different": 1, "stuck": 0}
    assert report.on_diagram() == {"revise": {"different": 1}}


def test_a_shorter_timer_fires_where_a_person_acted(small, history):
    replays, _draft = replay_of(small, XML.replace('"P3D"', '"PT30M"'))
    outcome = replays[history["approved"]].outcome  # the manager decided after the start at once; GM 1 h later
    assert replays[history["approved"]].outcome.verdict == "same"
    waited = replays[history["waiting"]].outcome  # waiting at the manager for 2 h now: the timer has fired
    assert waited.verdict == "different" and waited.why == "timer" and waited.timer == '"PT30M"'
    assert waited.now.bpmn_id == "manager_deadline" and waited.was is None
    assert outcome.why is None


def test_a_removed_step_is_a_different_flow_not_a_condition(small, history):
    without_gm = XML.replace('targetRef="gm_approval"', 'targetRef="end_done"')
    replays, _draft = replay_of(small, without_gm)
    outcome = replays[history["approved"]].outcome
    assert outcome.verdict == "different" and outcome.why == "flow"
    assert (outcome.was.bpmn_id, outcome.now.bpmn_id) == ("gm_approval", "end_done")
    revised = replays[history["revised"]].outcome  # it waited for the GM; the new version ends instead
    assert revised.verdict == "different" and revised.why == "goes_on" and revised.now.bpmn_id == "end_done"


def test_a_failing_script_leaves_the_replay_stuck_at_its_step(small, history):
    broken = XML.replace('level = "high" if amount &gt;= 1000 else "low"', 'level = amount / 0')
    replays, draft = replay_of(small, broken)
    outcome = replays[history["approved"]].outcome
    assert outcome.verdict == "stuck" and outcome.element == "prepare" and "ZeroDivisionError" in outcome.error
    assert small.replay_draft(draft.id, "owen").on_diagram() == {"prepare": {"stuck": 4}}


def test_replay_is_for_process_owners_and_checked_drafts(small, history, database_url, clock):
    draft = small.save_draft("small_approval", "approval.bpmn", XML, "owen", base_version=1)
    with pytest.raises(NotAllowed):
        small.replay_draft(draft.id, "bob")
    bad = small.save_draft("small_approval", "approval.bpmn", XML.replace('"P3D"', '"three days"'), "owen")
    with pytest.raises(SpecInvalid):
        small.replay_draft(bad.id, "owen")
    # a new engine (a new process) replays from the database alone, within a limit
    other = build_engine(database_url, clock, DATA / "users.yaml", DATA / "forms")
    try:
        report = other.replay_draft(draft.id, "owen", limit=2)
        assert len(report.requests) == 2 and report.not_replayed == 2 and report.version == 1
        assert [r.instance_id for r in report.requests] == [history["cancelled"], history["waiting"]]
    finally:
        other.sa_engine.dispose()
