"""Task elements: script task, manual task, business rule task (DMN)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import as_utc, parse_iso

from .conftest import complete, expect_open


def test_script_task_computes_data(bpmn, clock):
    started = as_utc(clock.now)
    raw, eng = bpmn.run_both(["script_task.bpmn"], "script_task", {"amount": 1000})
    assert eng.status == "completed"
    assert eng.path == [("step_completed", "calc"), ("step_completed", "end")]
    assert (eng.data["tax"], eng.data["total"]) == (130.0, 1130.0)
    assert eng.data["lines"] == [{"name": "net", "value": 1000}, {"name": "tax", "value": 130.0}]
    assert parse_iso(eng.data["due"]) == started + timedelta(days=3)
    keys = ("tax", "total", "lines", "due")
    assert {k: raw.data[k] for k in keys} == {k: eng.data[k] for k in keys}


def test_manual_task_waits_for_a_person_and_takes_no_data(bpmn):
    raw, eng = bpmn.run_both(["manual_task.bpmn"], "manual_task", {}, [
        expect_open("sign_paper"),
        complete("sign_paper"),
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "sign_paper"), ("step_completed", "end")]
    [row] = eng.tasks
    assert (row.bpmn_id, row.status, row.form, row.completed_by) == ("sign_paper", "completed", None, "alice")
    assert eng.data["sign_paper_by"] == "alice"


@pytest.mark.parametrize("amount, expected", [
    (200, ("C", 0.0)),
    (5000, ("B", 0.05)),
    (20000, ("A", 0.1)),
])
def test_business_rule_task_evaluates_dmn_table(bpmn, amount, expected):
    raw, eng = bpmn.run_both(["discount_rules.dmn", "business_rule.bpmn"], "business_rule", {"amount": amount})
    assert eng.status == "completed"
    assert eng.path == [("step_completed", "decide_discount"), ("step_completed", "apply_discount"),
                        ("step_completed", "end")]
    assert (eng.data["tier"], eng.data["rate"]) == expected
    assert eng.data["net"] == pytest.approx(amount * (1 - expected[1]))
    assert (raw.data["tier"], raw.data["rate"]) == expected
