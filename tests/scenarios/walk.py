"""Helpers the procedure scenarios share: find a user's task, complete it, read what it sees."""
from __future__ import annotations


def task_for(engine, user, inst, bpmn_id):
    """The open `bpmn_id` task of this instance that `user` can act on."""
    found = [t for t in engine.tasks(user) if t.instance_id == inst.id and t.bpmn_id == bpmn_id]
    assert found, f"{user} has no {bpmn_id} task; open: {[t.bpmn_id for t in engine.open_tasks(inst.id)]}"
    return found[0]


def do(engine, user, inst, bpmn_id, data):
    return engine.complete(task_for(engine, user, inst, bpmn_id).id, user, data)


def task_data(engine, task) -> dict:
    """The data a task sees, with its documentation template under `__doc__`."""
    return {**engine.task_data(task.id), "__doc__": engine.task_documentation(task.id)}
