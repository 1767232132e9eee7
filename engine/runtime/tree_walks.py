"""SpiffWorkflow's two walks down the task tree, done with a stack of our own instead of recursion.

A task tree is as deep as the longest path ahead: when a workflow starts, SpiffWorkflow predicts every
definite task to the end of the process, one level per task. Two of its methods then call themselves once
per level, so a process with a 5,000-task path fails with RecursionError:

- `TaskSpec._predict` (starting a workflow, resetting a branch, a task becoming definite) adds a task's
  children, then predicts each child;
- `Workflow._remove_task` (cancelling an instance, an interrupting event, a terminate end event, moving an
  instance to a new version) removes each child's subtree, then the task.

The replacements here visit the same tasks in the same order with the same arguments: a task's own step
runs when the walk reaches it (`_predict`: its `_predict_hook`, the `seen` list, the look-ahead decision;
`_remove_task`: after its whole subtree, unlink, forget, notify), and its children are taken one at a
time from the same list SpiffWorkflow's loop would iterate, each tested when its turn comes.

They are installed on the engine's own objects only: on every task spec the engine parses
(`install_on_specs`), and on every workflow it loads (`install_on_workflow`) or that the walk meets first
(a workflow just started, a subprocess just created). SpiffWorkflow's classes are not changed, so every
workflow the engine does not run (the comparisons with plain SpiffWorkflow in the tests) keeps the
original methods. A class that overrides either method itself (SpiffWorkflow 3.2 has none) keeps its own.
"""
from __future__ import annotations

from types import MethodType
from typing import Iterator

from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

_PREDICT = TaskSpec._predict
_REMOVE = Workflow._remove_task
_END = object()


class _Prediction:
    """One task of the prediction walk: what SpiffWorkflow's call would hold in its frame."""

    __slots__ = ("children", "seen", "looked_ahead", "look_ahead")

    def __init__(self, spec: TaskSpec, task, seen: list, looked_ahead: int, mask: int):
        _give_removal(task.workflow)
        if task.has_state(mask):
            spec._predict_hook(task)
        if task.has_state(TaskState.PREDICTED_MASK):
            seen.append(spec)
        self.look_ahead = task.has_state(TaskState.DEFINITE_MASK) or looked_ahead + 1 < spec.lookahead
        self.children: Iterator = iter(task.children)
        self.seen = seen
        self.looked_ahead = looked_ahead


def predict(spec: TaskSpec, my_task, seen: list | None = None, looked_ahead: int = 0,
            mask: int = TaskState.PREDICTED_MASK) -> None:
    """`TaskSpec._predict`, iteratively."""
    stack = [_Prediction(spec, my_task, [] if seen is None else seen, looked_ahead, mask)]
    while stack:
        visit = stack[-1]
        child = next(visit.children, _END)
        if child is _END:
            stack.pop()
        elif child.has_state(mask) and child not in visit.seen and visit.look_ahead:
            child_spec = child.task_spec
            if type(child_spec)._predict is not _PREDICT:  # a class with a prediction of its own
                child_spec._predict(child, visit.seen[:], visit.looked_ahead + 1, mask)
            else:
                stack.append(_Prediction(child_spec, child, visit.seen[:], visit.looked_ahead + 1, mask))


def remove_task(workflow: Workflow, task_id) -> None:
    """`Workflow._remove_task`, iteratively: every subtree first, then the task itself."""
    task = workflow.tasks[task_id]
    stack = [(task, iter(task.children))]
    while stack:
        task, children = stack[-1]
        child = next(children, _END)
        if child is _END:
            stack.pop()
            task.parent._children.remove(task.id)
            workflow.tasks.pop(task.id)
            workflow._task_removed_notify(task)
        else:
            child = workflow.tasks[child.id]
            stack.append((child, iter(child.children)))


def install_on_specs(spec, subprocess_specs: dict) -> None:
    """Give every task spec of a parsed process (and of its subprocesses) the iterative prediction."""
    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            if type(task_spec)._predict is _PREDICT:
                task_spec._predict = MethodType(predict, task_spec)


def install_on_workflow(workflow) -> None:
    """Give a workflow (and the subprocesses it holds) the iterative removal."""
    for wf in [workflow, *getattr(workflow, "subprocesses", {}).values()]:
        _give_removal(wf)


def _give_removal(wf) -> None:
    if "_remove_task" not in wf.__dict__ and type(wf)._remove_task is _REMOVE:
        wf._remove_task = MethodType(remove_task, wf)
