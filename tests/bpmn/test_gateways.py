"""Gateways: exclusive with a default flow, parallel split/join, inclusive split/merge."""
from __future__ import annotations

import pytest

from .conftest import complete, expect_open


@pytest.mark.parametrize("amount, taken", [
    (50, "auto_approve"),       # no condition holds: the default flow
    (-5, "mark_invalid"),
])
def test_exclusive_gateway_automatic_branches(bpmn, amount, taken):
    raw, eng = bpmn.run_both(["exclusive_gateway.bpmn"], "exclusive_gateway", {"amount": amount})
    assert eng.status == "completed"
    assert eng.path == [("step_completed", taken), ("step_completed", "end")]
    assert eng.data["route_taken"] == ("small" if amount > 0 else "invalid")


def test_exclusive_gateway_conditional_branch_waits_for_a_person(bpmn):
    raw, eng = bpmn.run_both(["exclusive_gateway.bpmn"], "exclusive_gateway", {"amount": 5000}, [
        expect_open("approve_big"),
        complete("approve_big", {"decision": "approve"}),
    ])
    assert eng.status == "completed"
    assert eng.path == [("completed", "approve_big"), ("step_completed", "end")]
    assert "route_taken" not in eng.data and eng.data["decision"] == "approve"


def test_parallel_gateway_joins_all_branches(bpmn):
    raw, eng = bpmn.run_both(["parallel_gateway.bpmn"], "parallel_gateway", {}, [
        expect_open("manager_review", "expert_review"),
        complete("expert_review", {"result": "ok"}),
        expect_open("manager_review"),       # the join still waits
        complete("manager_review", {"decision": "approve"}),
    ])
    assert eng.status == "completed"
    assert eng.path == [("step_completed", "prepare_copy"), ("completed", "expert_review"),
                        ("completed", "manager_review"), ("step_completed", "tally"), ("step_completed", "end")]
    assert eng.data["summary"] == raw.data["summary"] == "approve/ok/True"
    by = {t.bpmn_id: (t.lane, t.completed_by) for t in eng.tasks}
    assert by == {"manager_review": ("manager", "bob"), "expert_review": ("reviewer", "carol")}


@pytest.mark.parametrize("amount, branches", [
    (5000, ["finance_check", "legal_check"]),
    (500, ["finance_check"]),
])
def test_inclusive_gateway_runs_every_true_branch_and_merges(bpmn, amount, branches):
    answers = {"finance_check": {"decision": "approve"}, "legal_check": {"result": "fine"}}
    steps = [expect_open(*branches)] + [complete(b, answers[b]) for b in reversed(branches)]
    raw, eng = bpmn.run_both(["inclusive_gateway.bpmn"], "inclusive_gateway", {"amount": amount}, steps)
    assert eng.status == "completed"
    assert eng.path == [("completed", b) for b in reversed(branches)] + \
        [("step_completed", "close"), ("step_completed", "end")]
    assert eng.data["closed"] is True and "logged" not in eng.data


def test_inclusive_gateway_default_flow(bpmn):
    raw, eng = bpmn.run_both(["inclusive_gateway.bpmn"], "inclusive_gateway", {"amount": 10})
    assert eng.status == "completed"
    assert eng.path == [("step_completed", "log_only"), ("step_completed", "close"), ("step_completed", "end")]
    assert eng.data["logged"] is True
