"""Terminate end event; data objects (process-level data read and written through associations)."""
from __future__ import annotations

from .conftest import complete, expect_open


def test_terminate_end_event_cancels_the_other_branch(bpmn):
    raw, eng = bpmn.run_both(["terminate_end.bpmn"], "terminate_end", {}, [
        expect_open("decide", "long_work"),
        complete("decide", {"decision": "reject"}),
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "decide"), ("step_completed", "kill_all")]
    assert eng.open == []
    rows = {t.bpmn_id: (t.status, t.completed_by) for t in eng.tasks}
    assert rows == {"decide": ("completed", "alice"), "long_work": ("cancelled", None)}
    assert eng.trail[-1].kind == "instance_completed"


def test_without_terminate_the_instance_waits_for_every_branch(bpmn):
    raw, eng = bpmn.run_both(["terminate_end.bpmn"], "terminate_end", {}, [
        complete("decide", {"decision": "approve"}),
        expect_open("long_work"),
        complete("long_work"),
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "decide"), ("step_completed", "decide_end"), ("completed", "long_work"),
                        ("step_completed", "work_end")]


def test_data_objects_are_process_data_read_and_written_by_tasks(bpmn):
    seen = {}

    def review(data):
        seen.setdefault("review", []).append(data.get("ledger"))
        return {"decision": "approve"}

    raw, eng = bpmn.run_both(["data_objects.bpmn"], "data_objects", {"amount": 5}, [
        complete("review_ledger", review),
    ])
    assert eng.status == "completed"
    assert eng.path == [("step_completed", "open_ledger"), ("completed", "review_ledger"),
                        ("step_completed", "add_entry"), ("step_completed", "end")]
    # the user task read the data object through its input association (raw first, then the engine)
    assert seen["review"] == [{"entries": [5], "owner": "alice"}] * 2
    assert eng.data["data_objects"]["ledger"] == {"entries": [5, 10], "owner": "alice"}
    assert eng.data["data_objects"] == raw.data["data_objects"]
    assert eng.data["ledger_total"] == 15
    assert "ledger" not in eng.data   # written back to the data object, not left in task data
