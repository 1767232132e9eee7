"""Resumes instances left waiting on nothing by the restart bug of earlier versions.

Before specs were wired at parse time (engine.hooks), a loop or multi-instance task whose child was
completed by a freshly started process never heard of it: the child is COMPLETED, the parent STARTED,
and nothing is open. Loading such an instance now gives a wired spec, and merging each completed but
unmerged child (what SpiffWorkflow would have done at that moment) resumes it exactly where it stopped.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState


def resume_unmerged(workflow) -> list[str]:
    """Merge every completed loop or multi-instance child its parent missed; the parents' bpmn ids."""
    resumed = []
    for wf in [workflow, *workflow.subprocesses.values()]:
        for task in list(wf.tasks.values()):
            spec = task.task_spec
            if not isinstance(spec, LoopTask) or task.state != TaskState.STARTED:
                continue
            merged = set(task.internal_data.get("merged", []))
            missed = [c for c in task.children if c.task_spec.name == spec.task_spec
                      and c.state == TaskState.COMPLETED and str(c.id) not in merged]
            # in completion order, every one of them: a parallel parent turns READY at the first merge
            # when all its children are done, and each later merge still brings that child's data
            for child in sorted(missed, key=lambda c: c.last_state_change):
                spec.merge_child(wf, child)
            if missed:
                resumed.append(spec.bpmn_id)
    return resumed
