"""Event-based gateway with a timer branch and a signal branch; the signal is thrown by an
intermediate throw event on a parallel branch of the same instance."""
from __future__ import annotations

from .conftest import advance, complete, expect_open, expect_timer


def test_event_gateway_takes_the_signal_branch_when_the_signal_comes_first(bpmn):
    raw, eng = bpmn.run_both(["event_gateway.bpmn"], "event_gateway", {}, [
        expect_open("prepare"),
        expect_timer(hours=1),
        advance(minutes=10, fires=False),
        complete("prepare", {"result": "ready"}),   # throws "go" while the gateway waits
        expect_timer(),
        advance(hours=2, fires=False),              # the timer branch is gone
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "prepare"), ("step_completed", "send_go"), ("step_completed", "mark_go"),
                        ("step_completed", "finish"), ("step_completed", "end")]
    assert ("timer_fired", "wait_for") not in eng.path, "no timer fired: the signal won"
    assert eng.data["summary"] == raw.data["summary"] == "go:ready"


def test_event_gateway_takes_the_timer_branch_when_the_timer_comes_first(bpmn):
    raw, eng = bpmn.run_both(["event_gateway.bpmn"], "event_gateway", {}, [
        expect_timer(hours=1),
        advance(minutes=59, fires=False),
        advance(minutes=2, fires=True),
        expect_open("prepare"),
        expect_timer(),
        complete("prepare", {"result": "ready"}),   # nobody waits for "go" any more
    ])
    assert eng.status == "completed"
    assert eng.path == [("timer_fired", "wait_for"), ("step_completed", "mark_late"), ("completed", "prepare"),
                        ("step_completed", "send_go"), ("step_completed", "finish"), ("step_completed", "end")]
    assert eng.data["summary"] == raw.data["summary"] == "late:ready"
