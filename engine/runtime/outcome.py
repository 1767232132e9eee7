"""A request's business outcome: what the end event it reached says, not only that it ended.

The diagram names it on each end event (`spiffworkflow:property name="outcome"`, one of `OUTCOMES`); its
label is the end event's name ("参观申请被驳回"), so a request that ended in a refusal never reads as
merely "completed". An end event without the property gives the outcome `completed`, still with its name.
Cancelling gives `cancelled`.
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

# outcome -> whether it is a success (for colours and counts): None is neither
OUTCOMES = {
    "approved": True,        # granted, passed, in force
    "done": True,            # the work was carried out (a case closed, a visit held)
    "rejected": False,       # refused by someone who decided
    "expired": False,        # ran out of time before anyone decided
    "withdrawn": None,       # taken back by the applicant or the other party
    "not_applicable": None,  # the request did not apply (nothing to change, a duplicate)
    "completed": None,       # ended at an end event that does not say
    "cancelled": None,
}


@dataclass(frozen=True)
class Outcome:
    code: str
    label: str | None   # the end event's name
    end_event: str | None


def declared(task_spec) -> str | None:
    """The outcome an end event declares in its properties, if any."""
    properties = ((getattr(task_spec, "extensions", None) or {}).get("properties") or {})
    return properties.get("outcome")


def reached(workflow: BpmnWorkflow) -> Outcome:
    """The outcome of a finished workflow: its top-level end event reached last."""
    ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if type(t.task_spec).__name__ == "EndEvent" and t.workflow is workflow]
    if not ends:
        return Outcome("completed", None, None)
    end = max(ends, key=lambda t: t.last_state_change)
    spec = end.task_spec
    return Outcome(declared(spec) or "completed", spec.bpmn_name, spec.bpmn_id)
