"""Versions while instances run: pinning, plain-words preview, migration and refused migration."""
from __future__ import annotations

import pytest

from engine import NotAllowed
from engine.authoring.specs import SourceFile
from tests.conftest import DATA

BASE = (DATA / "approval.bpmn").read_text(encoding="utf-8")


def version(text: str) -> SourceFile:
    return SourceFile("approval.bpmn", text.encode("utf-8"))


def with_archive_step(text: str = BASE) -> str:
    """v2: after the GM approves, a new 归档 task in the staff lane."""
    return (text.replace('<bpmn:sequenceFlow id="f_gm_done" sourceRef="gm_approval" targetRef="end_done" />',
                         '<bpmn:sequenceFlow id="f_gm_done" sourceRef="gm_approval" targetRef="archive" />\n'
                         '    <bpmn:sequenceFlow id="f_archived" sourceRef="archive" targetRef="end_done" />')
            .replace('<bpmn:endEvent id="end_done" name="完成">\n      <bpmn:incoming>f_gm_done</bpmn:incoming>',
                     '<bpmn:userTask id="archive" name="归档">\n      <bpmn:incoming>f_gm_done</bpmn:incoming>\n'
                     '      <bpmn:outgoing>f_archived</bpmn:outgoing>\n    </bpmn:userTask>\n'
                     '    <bpmn:endEvent id="end_done" name="完成">\n      <bpmn:incoming>f_archived</bpmn:incoming>')
            .replace('<bpmn:flowNodeRef>end_done</bpmn:flowNodeRef>',
                     '<bpmn:flowNodeRef>end_done</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>archive</bpmn:flowNodeRef>'))


def test_preview_in_plain_words_with_instances_per_element(small):
    small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    small.start("small_approval", "alice", {"customer": "乙", "amount": 5})
    text = with_archive_step().replace('name="经理审批"', 'name="部门经理审批"').replace('"P3D"', '"P2D"')
    text = text.replace('decision == "approve"', 'decision == "approve" and amount &gt; 0')
    [preview] = small.preview_deploy([version(text)], "owen")
    kinds = {(c.kind, c.element_id) for c in preview.changes}
    assert {("added", "archive"), ("renamed", "manager_approval"), ("timer_changed", "manager_deadline"),
            ("condition_changed", "f_approve"), ("flow_added", "f_archived")} <= kinds
    renamed = next(c for c in preview.changes if c.kind == "renamed")
    assert renamed.text == "manager_approval renamed from “经理审批” to “部门经理审批”"
    assert preview.next_version == 2 and preview.running == {1: 2}
    assert preview.waiting_at == {"manager_approval": 2}
    assert [d.version for d in small.definitions()] == [1]  # a preview deploys nothing


def test_preview_needs_process_owner(small):
    with pytest.raises(NotAllowed):
        small.preview_deploy([version(with_archive_step())], "alice")


def test_old_instance_finishes_on_its_version_while_new_starts_use_the_new(small):
    old = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    small.deploy([version(with_archive_step())], "owen")
    new = small.start("small_approval", "alice", {"customer": "乙", "amount": 5})
    assert (old.definition_version, new.definition_version) == (1, 2)
    for inst in (old, new):
        [task] = small.open_tasks(inst.id)
        small.complete(task.id, "bob", {"decision": "approve"})
        [gm] = small.open_tasks(inst.id)
        small.complete(gm.id, "gina", {"decision": "approve"})
    assert small.instance(old.id).status == "completed"
    [archive] = small.open_tasks(new.id)
    assert archive.bpmn_id == "archive"


def test_dry_run_then_migration_through_the_new_task(small):
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    small.deploy([version(with_archive_step())], "owen")
    [check] = small.migrate("small_approval", "owen", dry_run=True)
    assert (check.instance_id, check.from_version, check.to_version, check.can_move, check.moved) == (inst.id, 1, 2, True, False)
    assert check.code == "can_move"
    assert small.instance(inst.id).definition_version == 1
    [done] = small.migrate("small_approval", "owen", dry_run=False)
    assert done.moved and small.instance(inst.id).definition_version == 2
    [task] = small.open_tasks(inst.id)
    small.complete(task.id, "bob", {"decision": "approve"})
    [gm] = small.open_tasks(inst.id)
    small.complete(gm.id, "gina", {"decision": "approve"})
    assert [t.bpmn_id for t in small.open_tasks(inst.id)] == ["archive"]
    migrated = [e for e in small.audit_trail(inst.id) if e.kind == "migrated"]
    assert migrated[0].data == {"from_version": 1, "to_version": 2} and migrated[0].actor == "owen"


def test_migration_refused_when_the_waiting_task_is_removed(small):
    inst = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    without_gm_in_lane = BASE.replace('<bpmn:flowNodeRef>gm_approval</bpmn:flowNodeRef>', '')
    removed = (without_gm_in_lane.replace('id="manager_approval"', 'id="dept_approval"')
               .replace('attachedToRef="manager_approval"', 'attachedToRef="dept_approval"')
               .replace('targetRef="manager_approval"', 'targetRef="dept_approval"')
               .replace('sourceRef="manager_approval"', 'sourceRef="dept_approval"'))
    small.deploy([version(removed)], "owen")
    [check] = small.migrate("small_approval", "owen", dry_run=True)
    assert not check.can_move and "经理审批" in check.reason
    assert (check.code, check.names) == ("task_removed", ("经理审批",))
    [refused] = small.migrate("small_approval", "owen", dry_run=False)
    assert not refused.moved and small.instance(inst.id).definition_version == 1
    assert [e.kind for e in small.audit_trail(inst.id)][-1] == "migration_refused"
    [task] = small.open_tasks(inst.id)  # still workable on its own version
    small.complete(task.id, "bob", {"decision": "approve"})


def test_drafts_are_kept_per_owner_and_refuse_unsafe_xml(small):
    from engine import SpecInvalid
    draft = small.save_draft("small_approval", "approval.bpmn", with_archive_step(), "owen", base_version=1)
    again = small.save_draft("small_approval", "approval.bpmn", BASE, "owen", draft_id=draft.id)
    assert again.id == draft.id and small.draft_xml(draft.id) == BASE
    assert [d.id for d in small.drafts("small_approval")] == [draft.id]
    with pytest.raises(SpecInvalid):
        small.save_draft("small_approval", "x.bpmn", '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "owen")
    with pytest.raises(NotAllowed):
        small.save_draft("small_approval", "approval.bpmn", BASE, "alice")
    small.discard_draft(draft.id, "owen")
    assert small.drafts() == []


def test_drafts_are_named_and_never_overwritten_unknowingly(small, clock):
    from engine import Conflict
    draft = small.save_draft("small_approval", "approval.bpmn", BASE, "owen", base_version=1, name="  归档  步骤 ")
    assert (draft.name, draft.revision) == ("归档 步骤", 1)
    mine = small.save_draft("small_approval", "approval.bpmn", with_archive_step(), "owen", draft_id=draft.id,
                            revision=1)
    assert mine.revision == 2 and mine.name == "归档 步骤"
    clock.advance(minutes=5)
    # another owner opened it at revision 1 and saves after owen's save: refused, owen's work kept
    with pytest.raises(Conflict) as refused:
        small.save_draft("small_approval", "approval.bpmn", BASE, "system", draft_id=draft.id, revision=1)
    assert refused.value.reason == "draft_changed" and refused.value.holder == "owen"
    assert small.draft_xml(draft.id) == with_archive_step()
    renamed = small.rename_draft(draft.id, "owen", "加归档步骤", revision=2)
    assert (renamed.name, renamed.revision) == ("加归档步骤", 3)
    with pytest.raises(Conflict):
        small.rename_draft(draft.id, "owen", "旧页面上的改名", revision=2)
    with pytest.raises(NotAllowed):
        small.rename_draft(draft.id, "alice", "不是流程管理员")
    assert [d.name for d in small.drafts("small_approval")] == ["加归档步骤"]


def test_version_stats_count_running_and_finished(small):
    first = small.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    small.start("small_approval", "alice", {"customer": "乙", "amount": 5})
    small.cancel(first.id, "alice")
    small.deploy([version(with_archive_step())], "owen")
    stats = {s.definition.version: (s.running, s.finished) for s in small.version_stats("small_approval")}
    assert stats == {1: (1, 1), 2: (0, 0)}


def test_deploy_draft_deploys_and_removes_it_in_one_step(small):
    draft = small.save_draft("small_approval", "approval.bpmn", with_archive_step(), "owen", base_version=1)
    assert small.draft(draft.id).base_version == 1
    [v2] = small.deploy_draft(draft.id, "owen")
    assert v2.version == 2 and small.definition(v2.id).sha256 == v2.sha256
    assert small.drafts() == []
    bad = small.save_draft("small_approval", "approval.bpmn", BASE.replace('name="cs_manager"', 'name="nobody"'),
                           "owen")
    from engine import SpecInvalid
    with pytest.raises(SpecInvalid):
        small.deploy_draft(bad.id, "owen")
    assert [d.id for d in small.drafts()] == [bad.id]  # kept: nothing happened
