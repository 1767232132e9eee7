"""Embedded subprocess and call activity (two processes in two files, the called one deployed first)."""
from __future__ import annotations

from .conftest import complete, expect_open


def test_embedded_subprocess_shares_data_both_ways(bpmn):
    raw, eng = bpmn.run_both(["embedded_subprocess.bpmn"], "embedded_subprocess", {"amount": 7}, [
        expect_open("fill"),
        complete("fill", {"result": "done"}),
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "fill"), ("step_completed", "summarize"), ("step_completed", "collect_end"),
                        ("step_completed", "after"), ("step_completed", "end")]
    assert eng.data["summary"] == "DONE-7" and eng.data["final"] == raw.data["final"] == "DONE-7!"


def test_call_activity_runs_the_called_process(bpmn):
    raw, eng = bpmn.run_both(["callee.bpmn", "caller.bpmn"], "caller", {"amount": 21}, [
        expect_open("confirm"),
        complete("confirm", {"decision": "approve"}),
    ])
    assert eng.status == "completed"
    assert eng.path == [("step_completed", "double"), ("completed", "confirm"), ("step_completed", "callee_end"),
                        ("step_completed", "call_callee"), ("step_completed", "use_result"),
                        ("step_completed", "end")]
    assert (eng.data["doubled"], eng.data["final"], eng.data["decision"]) == (42, 43, "approve")
    assert raw.data["final"] == 43
    [row] = eng.tasks
    assert (row.bpmn_id, row.process_id, row.completed_by) == ("confirm", "caller", "alice")

