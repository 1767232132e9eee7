"""Keeps long-lived instances fast: splices finished history out of the live task tree.

SpiffWorkflow keeps every completed task in the tree forever, so a rework loop makes each later step
slower (load, run and save are all linear in the tree). The audit trail already holds the history
(who completed what, with which data), so once an instance's tree grows past `COMPACT_AT` tasks we
remove (1) dead leaves: finished tasks without children under a completed parent (cancelled boundary
events, joins of earlier rounds), and (2) completed tasks in the middle of a finished chain: a
completed task whose only child is also completed. Kept: the root and its child, every parent of an
unfinished task (joins and boundary events look at those), call activities, and the last completed
task. A task's data is stored as a delta against its parent, so the spliced child keeps exactly its
own data.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskState

from ..authoring.specs import is_subworkflow

COMPACT_AT = 40


def _removable(task, workflow) -> bool:
    if task.state != TaskState.COMPLETED or len(task._children) != 1:
        return False
    parent = task.parent
    if parent is None or parent.parent is None:  # keep the root and the start task
        return False
    child = workflow.tasks.get(task._children[0])
    if child is None or child.state != TaskState.COMPLETED:
        return False
    spec: TaskSpec = task.task_spec
    return not is_subworkflow(spec) and task is not workflow.last_task


def _dead_leaf(task, workflow) -> bool:
    parent = task.parent
    return (not task._children and task.state in (TaskState.COMPLETED, TaskState.CANCELLED)
            and parent is not None and parent.state == TaskState.COMPLETED and len(parent._children) > 1
            and task is not workflow.last_task and not is_subworkflow(task.task_spec))


def _compact_one(workflow) -> int:
    removed = 0
    for task in list(workflow.tasks.values()):
        if _dead_leaf(task, workflow):
            task.parent._children.remove(task.id)
            del workflow.tasks[task.id]
            removed += 1
    for task in list(workflow.tasks.values()):
        if not _removable(task, workflow):
            continue
        parent, child = task.parent, workflow.tasks[task._children[0]]
        parent._children[parent._children.index(task.id)] = child.id
        child._parent = parent.id
        del workflow.tasks[task.id]
        removed += 1
    return removed


def compact(workflow: BpmnWorkflow) -> int:
    """Splice finished history out of the workflow and its subprocesses; returns tasks removed."""
    removed = 0
    for wf in [workflow, *workflow.subprocesses.values()]:
        if len(wf.tasks) > COMPACT_AT:
            removed += _compact_one(wf)
    return removed
