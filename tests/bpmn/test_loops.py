"""Standard loop: a script task bounded by loopMaximum, a user task looping while its condition holds."""
from __future__ import annotations

from .conftest import complete, expect_open


def test_standard_loop_script_stops_at_maximum_and_user_task_at_condition(bpmn):
    raw, eng = bpmn.run_both(["standard_loop.bpmn"], "standard_loop", {}, [
        expect_open("revise"),
        complete("revise", {"again": True, "note": "first"}),
        expect_open("revise"),               # a new pass: the condition still holds
        complete("revise", {"again": True, "note": "second"}),
        expect_open("revise"),
        complete("revise", {"again": False, "note": "third"}),
    ])
    assert eng.status == "completed"
    assert eng.path == [("step_completed", "init")] + [("step_completed", "bump")] * 3 + \
        [("completed", "revise")] * 3 + [("step_completed", "finish"), ("step_completed", "end")]
    assert eng.data["counter"] == raw.data["counter"] == 3     # loopMaximum, though counter < 10 held
    assert eng.data["summary"] == raw.data["summary"] == "3:third"
    assert [t.status for t in eng.tasks] == ["completed"] * 3


def test_standard_loop_user_task_stops_at_maximum(bpmn):
    raw, eng = bpmn.run_both(["standard_loop.bpmn"], "standard_loop", {}, [
        complete("revise", {"again": True, "note": "more"}, times=5),
        expect_open(),
    ])
    assert eng.status == "completed"
    assert eng.ids("completed") == ["revise"] * 5
    assert eng.data["again"] is True
