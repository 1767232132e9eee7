"""A failure anywhere in a step is the instance's error, with the element named; retry recovers."""
from __future__ import annotations

import pytest

from tests.conftest import DATA, build_engine
from tests.restart import RestartingEngine

STEPS = DATA / "steps"


@pytest.fixture
def eng(sqlite_url, clock):
    base = build_engine(sqlite_url, clock, DATA / "users.yaml", DATA / "forms")
    base.deploy_paths([STEPS / "post_script.bpmn", STEPS / "mi_missing.bpmn", STEPS / "data_output.bpmn"], "owen")
    yield RestartingEngine(base.sa_engine, forms_dir=DATA / "forms", clock=clock)
    base.sa_engine.dispose()


def test_a_failing_post_script_puts_the_instance_in_error_and_retry_reopens_the_task(eng):
    inst = eng.start("post_script", "alice", {})
    [task] = eng.open_tasks(inst.id)
    view = eng.complete(task.id, "alice", {})
    assert view.status == "error" and view.error_element == "fill"
    assert "price" in view.error and "\n" not in view.error
    assert eng.open_tasks(inst.id) == []
    kinds = [e.kind for e in eng.audit_trail(inst.id)]
    assert kinds[-2:] == ["completed", "error"]
    # the process owner retries with the missing value: the same task is open again
    eng.retry(inst.id, "owen", {"price": 21})
    [again] = eng.open_tasks(inst.id)
    assert again.bpmn_id == "fill"
    done = eng.complete(again.id, "alice", {})
    assert done.status == "completed" and eng.data(inst.id)["total"] == 42


def test_a_missing_multi_instance_collection_is_an_error_at_start_not_a_crash(eng):
    view = eng.start("mi_missing", "alice", {})
    assert view.status == "error" and view.error_element == "each"
    assert "not iterable" in view.error
    eng.retry(view.id, "owen", {"reviewers": ["bob", "carol"]})
    assert [t.bpmn_id for t in eng.open_tasks(view.id)] == ["each", "each"]


def test_a_data_object_the_task_never_filled_is_an_error_naming_the_task(eng):
    inst = eng.start("data_output", "alice", {})
    [task] = eng.open_tasks(inst.id)
    view = eng.complete(task.id, "alice", {})
    assert view.status == "error" and view.error_element == "write_notes" and "notes" in view.error
    eng.retry(inst.id, "owen", {"notes": "checked"})
    [again] = eng.open_tasks(inst.id)
    assert eng.complete(again.id, "alice", {}).status == "completed"
