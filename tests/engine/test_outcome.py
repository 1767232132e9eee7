"""A request's outcome is what its end event says: approved, rejected, ... with the end event's words."""
from __future__ import annotations

import pytest

from engine import SourceFile, SpecInvalid
from tests.conftest import DATA

OUTCOMES = DATA / "outcomes.bpmn"


@pytest.mark.parametrize("total, code, label", [(500, "approved", "申请已批准"), (-5, "rejected", "申请被驳回"),
                                                (50, "completed", "结束")])
def test_the_end_event_reached_gives_the_outcome(small, total, code, label):
    small.deploy_paths([OUTCOMES], "owen")
    inst = small.start("outcomes", "alice", {"total": total, "parts": 1})
    assert (inst.status, inst.outcome, inst.outcome_label) == ("completed", code, label)
    [ended] = [e for e in small.audit_trail(inst.id) if e.kind == "instance_completed"]
    assert ended.data == {"outcome": code, "label": label}  # the auditor sees the same


def test_a_running_request_has_no_outcome_and_a_cancelled_one_says_so(small):
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 10})
    assert inst.outcome is None
    assert small.cancel(inst.id, "alice").outcome == "cancelled"


@pytest.mark.parametrize("change, reason", [
    ('value="approved"', 'value="great"'),
])
def test_an_unknown_outcome_is_refused_at_deploy(small, change, reason):
    text = OUTCOMES.read_text(encoding="utf-8").replace(change, reason, 1)
    with pytest.raises(SpecInvalid) as err:
        small.deploy([SourceFile("outcomes.bpmn", text.encode())], "owen")
    [problem] = err.value.problems
    assert problem.code == "outcome" and problem.element == "end_yes" and "'great'" in problem.reason


def test_form_checks_refuse_at_submission_and_are_checked_at_deploy(small, tmp_path):
    import json
    import shutil

    from engine import FormInvalid
    forms = tmp_path / "forms"
    shutil.copytree(DATA / "forms", forms)
    schema = json.loads((forms / "numbers.schema.json").read_text(encoding="utf-8"))
    schema["x-checks"] = [{"refuse_if": "parts > 0 and total / parts < 10", "field": "parts",
                           "message": "每份不少于10（制度第1条）"}]
    (forms / "numbers.schema.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    small.forms.forms_dir = forms
    small.deploy_paths([OUTCOMES], "owen")
    with pytest.raises(FormInvalid) as err:
        small.start("outcomes", "alice", {"total": 50, "parts": 10})
    assert err.value.by_field() == {"parts": "每份不少于10（制度第1条）"}
    assert small.start("outcomes", "alice", {"total": 500, "parts": 10}).outcome == "approved"
    schema["x-checks"][0]["refuse_if"] = "import os"
    (forms / "numbers.schema.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SpecInvalid) as refused:
        small.deploy_paths([OUTCOMES], "owen")
    assert refused.value.problems[0].code == "expression" and "numbers.schema.json" in refused.value.problems[0].reason
