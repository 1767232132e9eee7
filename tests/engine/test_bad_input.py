"""Bad input gets a clear error and changes nothing."""
from __future__ import annotations

import pytest

from engine import Conflict, FormInvalid, NotAllowed, NotFound, SpecInvalid
from engine.authoring.specs import SourceFile
from tests.conftest import DATA


def _source(name: str, text: str) -> SourceFile:
    return SourceFile(name, text.encode("utf-8"))


def test_malformed_xml_is_refused_and_nothing_deployed(small):
    before = small.definitions()
    with pytest.raises(SpecInvalid) as err:
        small.deploy([_source("broken.bpmn", "<bpmn:definitions><oops")], "owen")
    assert err.value.problems[0].file == "broken.bpmn"
    assert "malformed" in err.value.problems[0].reason and err.value.problems[0].code == "malformed"
    assert small.definitions() == before


def test_one_bad_file_refuses_the_whole_batch(small):
    good = (DATA / "approval.bpmn").read_text(encoding="utf-8").replace('name="小额审批" isExecutable', 'name="新版" isExecutable')
    bad = good.replace('name="cs_manager"', 'name="no_such_group"')
    with pytest.raises(SpecInvalid) as err:
        small.deploy([_source("approval.bpmn", good), _source("bad.bpmn", bad)], "owen")
    [problem] = err.value.problems
    assert (problem.file, problem.element) == ("bad.bpmn", "lane_manager")
    assert "no_such_group" in problem.reason and problem.code == "unknown_lane"
    assert [d.version for d in small.definitions()] == [1]


def test_deploy_needs_process_owner(small):
    with pytest.raises(NotAllowed):
        small.deploy_paths([DATA / "approval.bpmn"], "alice")


def test_redeploying_identical_file_adds_no_version(small):
    assert small.deploy_paths([DATA / "approval.bpmn"], "owen") == []
    changed = (DATA / "approval.bpmn").read_text(encoding="utf-8").replace("经理审批", "部门经理审批")
    [v2] = small.deploy([_source("approval.bpmn", changed)], "owen")
    assert v2.version == 2


def test_unknown_process(small):
    with pytest.raises(NotFound):
        small.start("no_such_process", "alice", {})


def test_missing_and_mistyped_fields_are_reported_per_field(small):
    with pytest.raises(FormInvalid) as err:
        small.start("small_approval", "alice", {"amount": "lots", "due_date": "31/12/2026"})
    fields = err.value.by_field()
    assert set(fields) == {"customer", "amount", "due_date"}
    assert fields["customer"] == "this field is required"
    assert small.instances() == []


def test_unknown_fields_are_refused(small):
    with pytest.raises(FormInvalid) as err:
        small.start("small_approval", "alice", {"customer": "甲", "amount": 5, "lane_owners": {"cs_manager": ["alice"]}})
    assert err.value.by_field() == {"lane_owners": "is not a field of this form"}


def test_task_form_invalid_leaves_task_open(small):
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    [task] = small.tasks("bob")
    with pytest.raises(FormInvalid) as err:
        small.complete(task.id, "bob", {"decision": "maybe"})
    assert err.value.by_field() == {"decision": "is not one of the allowed choices"}
    assert [t.id for t in small.open_tasks(inst.id)] == [task.id]
    assert small.tasks("bob")[0].assignee is None  # the failed attempt claimed nothing


def test_user_outside_the_lane(small):
    small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    [task] = small.tasks("bob")
    for stranger in ("gina", "mallory", "alice"):
        with pytest.raises(NotAllowed):
            small.complete(task.id, stranger, {"decision": "approve"})
    with pytest.raises(NotAllowed):
        small.claim(task.id, "mallory")


def test_completing_twice_is_a_conflict(small):
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    [task] = small.tasks("bob")
    small.complete(task.id, "bob", {"decision": "approve"})
    with pytest.raises(Conflict, match="already completed by bob"):
        small.complete(task.id, "carol", {"decision": "reject"})
    completions = [e for e in small.audit_trail(inst.id) if e.kind == "completed" and e.bpmn_id == "manager_approval"]
    assert len(completions) == 1


def test_task_that_does_not_exist(small):
    for verb in (lambda: small.complete(999, "bob", {}), lambda: small.claim(999, "bob"),
                 lambda: small.task(999), lambda: small.cancel(999, "alice")):
        with pytest.raises(NotFound):
            verb()


def test_refusals_carry_a_reason_code_and_who(small):
    small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    [task] = small.tasks("bob")
    assert small.may_act(task.id, "bob") == (True, None)
    assert small.may_act(task.id, "gina") == (False, "not_candidate")
    small.claim(task.id, "bob")
    assert small.may_act(task.id, "carol") == (False, "assigned_to")
    with pytest.raises(NotAllowed) as refused:
        small.complete(task.id, "carol", {"decision": "approve"})
    assert (refused.value.reason, refused.value.holder) == ("assigned_to", "bob")
    small.complete(task.id, "bob", {"decision": "approve"})
    with pytest.raises(Conflict) as late:
        small.complete(task.id, "bob", {"decision": "approve"})
    assert (late.value.reason, late.value.holder) == ("completed", "bob")
    assert small.may_act(task.id, "bob") == (False, "completed")


def test_self_approval_reason(small):
    small.start("small_approval", "dave", {"customer": "甲", "amount": 5})
    [task] = small.group_queue("bob")
    assert small.may_act(task.id, "dave") == (False, "self_approval")
