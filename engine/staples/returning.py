"""退回: the person on a task sends the request back to an earlier step of the same path that a person
already completed (the applicant's revision, a named earlier approver), with a reason. SpiffWorkflow's own
reset (`reset_from_task_id`) makes that step READY again, with the data it was completed with (unless its
pre-script clears its fields, as the diagram decides); the later steps' decisions stay in the audit trail. The step goes back to the
person who completed it before, and the request then flows on from there as the diagram says. A task whose
`returnMode` is `back_to_me` instead gives that person a rework side task (engine.staples.side_tasks) and
gets the corrected request straight back, without running the steps in between."""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from ..audit import instance_chain
from ..errors import Conflict, FieldError, FormInvalid, NotFound
from ..storage import rows
from ..storage.models import AuditEvent
from ..views import InstanceView
from . import require_on
from .side_tasks import hold_for, open_side
from .signers import require_free, return_mode

MAX_REASON = 500


@dataclass(frozen=True)
class ReturnTarget:
    bpmn_id: str
    title: str
    completed_by: str | None


def _earlier_steps(task) -> list:
    """Completed user tasks on the path that led to `task`, nearest first (one per BPMN id)."""
    found, seen = [], set()
    node = task.parent
    while node is not None:
        spec = node.task_spec
        if node.state == TaskState.COMPLETED and getattr(spec, "manual", False) and spec.bpmn_id not in seen:
            seen.add(spec.bpmn_id)
            found.append(node)
        node = node.parent
    return found


def targets_of(task, tasks) -> list[ReturnTarget]:
    """The earlier steps `task` may be sent back to, with who completed them (from the instance's tasks)."""
    done = {t.task_guid: t.completed_by for t in tasks if t.status == "completed"}
    return [ReturnTarget(t.task_spec.bpmn_id, t.task_spec.bpmn_name or t.task_spec.bpmn_id, done.get(str(t.id)))
            for t in _earlier_steps(task)]


class ReturnVerbs:
    """Mixed into Engine; relies on its `_unit`, `_open_task`, `_check_may_act`, `session` and `_task_of`."""

    def return_targets(self, task_id: int) -> list[ReturnTarget]:
        """The earlier steps a task may be sent back to, nearest first (with who completed them)."""
        task = self._task_of(task_id)
        if task is None:
            return []
        return targets_of(task, self.instance_tasks(self.task(task_id).instance_id))

    def return_to(self, task_id: int, user: str, to_bpmn_id: str, reason: str) -> InstanceView:
        """Send the request back from this task to the earlier step `to_bpmn_id`, saying why."""
        reason = (reason or "").strip()
        if not reason:
            raise FormInvalid([FieldError("reason", "required", "say why the request goes back")])
        if len(reason) > MAX_REASON:
            raise FormInvalid([FieldError("reason", "maxLength", f"at most {MAX_REASON} characters", MAX_REASON)])

        def work(unit) -> InstanceView:
            row, instance, workflow, task = self._open_task(unit, task_id, user)
            self._check_may_act(unit, row, instance, task, user)
            require_on(unit, instance, "return", task.task_spec)
            target = next((t for t in _earlier_steps(task) if t.task_spec.bpmn_id == to_bpmn_id), None)
            if target is None:
                raise NotFound(f"no completed step {to_bpmn_id!r} before task {task_id}")
            [earlier] = rows.read_tasks(unit.session, rows.TASK.c.task_guid == str(target.id)) or [None]
            if earlier is None:
                raise Conflict(f"step {to_bpmn_id!r} has no inbox row to reopen", "not_returnable")
            require_free(row)
            mode = return_mode(task.task_spec)
            unit.record(instance, "returned", task_guid=row.task_guid, bpmn_id=row.bpmn_id,
                        data={"title": row.title, "to": earlier.completed_by, "step": target.task_spec.bpmn_name,
                              "reason": reason, "mode": mode})
            if mode == "back_to_me":
                return self._rework(unit, instance, row, earlier, reason)
            workflow.reset_from_task_id(UUID(str(target.id)), data=deepcopy(target.data))
            # the step's inbox row opens again, for the person who completed it before
            previous = earlier.completed_by
            rows.reopen_tasks(unit.session, [earlier])
            if previous:
                rows.assign(unit.session, earlier, previous)
            unit.known_rows[earlier.task_guid] = earlier
            unit.open_before[instance.id] = unit.open_before.get(instance.id, set()) | {earlier.task_guid}
            unit.save(instance, workflow)
            if previous:
                unit.notifications.append({"kind": "task",
                                           "to": previous, "subject": f"退回：{instance.title}",
                                           "body": f"“{row.title}”退回到“{target.task_spec.bpmn_name}”：{reason}",
                                           "at": unit.now.isoformat()})
                unit.announce(instance)
            return InstanceView.of(instance)
        return self._unit(user, work)

    def _rework(self, unit, instance, row, earlier, reason: str) -> InstanceView:
        """The earlier step's person gets a side task with that step's form and answers; `row` waits for it."""
        if not earlier.completed_by:
            raise Conflict(f"nobody completed step {earlier.bpmn_id!r}: nobody to redo it", "not_returnable")
        answers = unit.session.scalars(select(AuditEvent.data).where(
            AuditEvent.chain == instance_chain(instance.id), AuditEvent.kind == "completed",
            AuditEvent.task_guid == earlier.task_guid).order_by(AuditEvent.seq.desc()).limit(1)).first() or {}
        open_side(unit, instance, row, "rework", earlier.completed_by, unit.actor, reason,
                  dict(answers.get("form") or {}), bpmn_id=earlier.bpmn_id, title=earlier.title, form=earlier.form,
                  ui_form=earlier.ui_form)
        hold_for(unit, instance, row, "rework", unit.actor)
        unit.touch(instance)
        unit.notifications.append({"to": earlier.completed_by, "subject": f"退回：{instance.title}",
                                   "body": f"“{row.title}”退回到“{earlier.title}”，修改后直接回到“{row.title}”：{reason}",
                                   "at": unit.now.isoformat()})
        unit.announce(instance)
        return InstanceView.of(instance)
