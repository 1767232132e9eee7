"""Forms are part of a version: a changed form file alone makes a new version, and every instance is
validated and shown with the forms of its own version."""
from __future__ import annotations

import json
import shutil

import pytest

from engine.errors import FormInvalid
from tests.conftest import DATA, build_engine


@pytest.fixture
def forms(tmp_path):
    folder = tmp_path / "forms"
    shutil.copytree(DATA / "forms", folder)
    return folder


def require_reason(folder) -> None:
    """Version 2 of the decision form: a reason field, required."""
    path = folder / "decision.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["reason"] = {"type": "string", "title": "理由", "minLength": 2}
    schema["required"] = ["decision", "reason"]
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")


def test_a_changed_form_makes_a_new_version_and_old_instances_keep_their_form(database_url, clock, forms):
    eng = build_engine(database_url, clock, DATA / "users.yaml", forms)
    [v1] = eng.deploy_paths([DATA / "approval.bpmn"], "owen")
    old = eng.start("small_approval", "alice", {"customer": "甲", "amount": 5})
    require_reason(forms)
    # the preview says what changed in the form, and that the diagram is otherwise the same
    from engine.authoring.specs import SourceFile
    [preview] = eng.preview_deploy([SourceFile.from_path(DATA / "approval.bpmn")], "owen")
    assert not preview.unchanged
    assert [(c.kind, c.element_id, c.name) for c in preview.changes] == [
        ("form_field_added", "decision.schema.json", "reason")]
    assert preview.changes[0].text == "decision.schema.json: field reason added (required)"
    [v2] = eng.deploy_paths([DATA / "approval.bpmn"], "owen")  # the same diagram, only the form changed
    assert (v1.version, v2.version) == (1, 2) and v1.sha256 == v2.sha256
    assert eng.deploy_paths([DATA / "approval.bpmn"], "owen") == []  # nothing changed since
    new = eng.start("small_approval", "alice", {"customer": "乙", "amount": 5})

    [old_task] = eng.open_tasks(old.id)
    [new_task] = eng.open_tasks(new.id)
    assert "reason" not in eng.task_form(old_task.id).schema["properties"]
    assert "reason" in eng.task_form(new_task.id).schema["properties"]
    assert "reason" not in eng.instance_forms(old.id)["manager_approval"].fields
    # validation: each instance by its own version's form
    with pytest.raises(FormInvalid) as refused:
        eng.complete(new_task.id, "bob", {"decision": "approve"})
    assert [e.field for e in refused.value.errors] == ["reason"]
    with pytest.raises(FormInvalid):
        eng.complete(old_task.id, "bob", {"decision": "approve", "reason": "好的"})  # not a field of version 1
    assert eng.complete(old_task.id, "bob", {"decision": "approve"}).id == old.id
    assert eng.complete(new_task.id, "bob", {"decision": "approve", "reason": "同意"}).id == new.id

    # the form file on disk disappears: deployed versions still have theirs
    (forms / "decision.schema.json").unlink()
    again = eng.start("small_approval", "alice", {"customer": "丙", "amount": 5})
    [task] = eng.open_tasks(again.id)
    assert eng.task_form(task.id).schema["required"] == ["decision", "reason"]
    eng.sa_engine.dispose()
