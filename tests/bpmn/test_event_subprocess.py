"""Signal-triggered event subprocesses (interrupting and non-interrupting); the signal is thrown by an
intermediate throw event of the same instance."""
from __future__ import annotations

import pytest

from engine.errors import SpecInvalid

from .conftest import complete, expect_open


def test_non_interrupting_signal_event_subprocess_runs_beside_the_main_flow(bpmn):
    raw, eng = bpmn.run_both(["signal_event_subprocess_non_interrupting.bpmn"],
                             "signal_event_subprocess_non_interrupting", {"amount": 500}, [
        expect_open("handle_alarm", "main_work"),      # the handler started; the main flow went on
        complete("main_work", {"result": "built"}),
        expect_open("handle_alarm"),                   # the instance waits for the handler too
        complete("handle_alarm", {"decision": "approve"}),
    ])
    assert eng.status == "completed"
    assert eng.path == [("step_completed", "begin"), ("step_completed", "raise_alarm"), ("completed", "main_work"),
                        ("step_completed", "end_main"), ("completed", "handle_alarm"), ("step_completed", "alarm_end")]
    assert eng.data["result"] == raw.data["result"] == "built"
    assert sorted((t.bpmn_id, t.status) for t in eng.tasks) == [("handle_alarm", "completed"),
                                                                ("main_work", "completed")]


def test_interrupting_event_subprocess_is_refused_because_spiffworkflow_does_not_interrupt(bpmn):
    """SpiffWorkflow 3.2 ignores isInterrupting on an event subprocess start event: the handler runs and
    the main flow is NOT cancelled. The engine refuses the diagram rather than run it half-way."""
    raw = bpmn.run_raw(["signal_event_subprocess_interrupting.bpmn"], "signal_event_subprocess_interrupting", {},
                       [expect_open("main_work"), complete("main_work", {"result": "built"})])
    assert ("step_completed", "handle_alarm") in raw.path and ("completed", "main_work") in raw.path
    with pytest.raises(SpecInvalid) as refused:
        bpmn.deploy("signal_event_subprocess_interrupting.bpmn")
    [problem] = refused.value.problems
    assert problem.code == "unsupported" and problem.element == "alarm_start"
    assert "mark the start event non-interrupting" in problem.reason


def test_non_interrupting_event_subprocess_without_its_signal_never_starts(bpmn):
    raw, eng = bpmn.run_both(["signal_event_subprocess_non_interrupting.bpmn"],
                             "signal_event_subprocess_non_interrupting", {"amount": 5}, [
        expect_open("main_work"),
        complete("main_work", {"result": "quiet"}),
    ])
    assert eng.status == "completed"
    assert eng.path == [("step_completed", "begin"), ("completed", "main_work"), ("step_completed", "end_main")]


def test_event_subprocess_wiring_does_not_leak_between_instances_sharing_a_spec(bpmn):
    """One long-lived Engine (one parsed spec shared by its instances), instances with and without the
    signal interleaved: the handler runs only in the instances that throw it, and every instance ends."""
    bpmn.deploy("signal_event_subprocess_non_interrupting.bpmn")
    shared = bpmn.plain_engine()
    for amount in (500, 5, 500, 5):
        instance = shared.start("signal_event_subprocess_non_interrupting", "alice", {"amount": amount})
        expected = ["handle_alarm", "main_work"] if amount > 100 else ["main_work"]
        assert sorted(t.bpmn_id for t in shared.open_tasks(instance.id)) == expected
        for task in shared.open_tasks(instance.id):
            shared.complete(task.id, "alice", {"result": "x"} if task.bpmn_id == "main_work" else
                            {"decision": "approve"})
        assert shared.instance(instance.id).status == "completed"


def test_a_signal_from_outside_starts_the_event_subprocess_of_a_waiting_instance(bpmn):
    """The instance is indexed as waiting for its event subprocess's signal, so a broadcast reaches it."""
    bpmn.deploy("signal_event_subprocess_non_interrupting.bpmn")
    eng = bpmn.engine
    quiet = eng.start("signal_event_subprocess_non_interrupting", "alice", {"amount": 5})
    assert eng.waiting_for(quiet.id) == [("signal", "alarm")]
    delivery = eng.broadcast_signal("alarm", "owen")
    assert delivery.delivered == (quiet.id,)
    assert sorted(t.bpmn_id for t in eng.open_tasks(quiet.id)) == ["handle_alarm", "main_work"]
    for task in eng.open_tasks(quiet.id):
        eng.complete(task.id, "alice", {"result": "x"} if task.bpmn_id == "main_work" else {"decision": "approve"})
    assert eng.instance(quiet.id).status == "completed" and eng.waiting_for(quiet.id) == []
