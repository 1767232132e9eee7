"""Read models for whole pages: everything one page needs from one read of the instance."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select

from .audit import instance_chain
from .authoring.forms import FormView
from .form_reads import form_versions
from .authoring.specs import start_event
from .staples.returning import ReturnTarget, targets_of
from .staples.side_tasks import SideTaskView, side_tasks_of
from .staples.signers import SignerChoice, return_mode, signer_choice
from .storage.models import AuditEvent, HumanTask, ProcessInstance, get_row
from .views import AuditView, InstanceView, TaskView


@dataclass(frozen=True)
class TaskPage:
    """A task as its page shows it: the instance, the data it sees, its instructions (a template over the
    data), its form and every form of the instance's version, the instance's tasks and audit trail, and
    whether the user may act now (else the reason code) and to whom it could be handed."""

    task: TaskView
    instance: InstanceView
    data: dict[str, Any]
    documentation: str
    form: FormView
    forms: dict[str | None, FormView]
    tasks: tuple[TaskView, ...]
    audit: tuple[AuditView, ...]
    may_act: bool
    reason: str | None
    members: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    return_targets: tuple[ReturnTarget, ...] = ()  # the earlier steps it may be sent back to (when may_act)
    signers: SignerChoice = SignerChoice()  # what 加签 the step offers (when may_act)
    side_tasks: tuple[SideTaskView, ...] = ()  # the opinions and approvals it asked for, the rework it waits on
    returns_to_me: bool = False  # a return from it comes straight back after the rework (returnMode)


class PageReads:
    """Mixed into Engine; relies on its `_workflow`, `_form`, `_instance_forms`, `_may_act_on`, `_members`."""

    def task_screen(self, task_id: int, user: str) -> TaskPage:
        """Everything the task page needs, from one session and one load of the workflow."""
        with self.session() as s:
            row = get_row(s, HumanTask, task_id)
            instance = get_row(s, ProcessInstance, row.instance_id)
            workflow = self._workflow(s, instance.id)
            task = workflow.get_task_from_id(UUID(row.task_guid))
            data = dict(task.data) if task is not None else {}
            documentation = ""
            if task is not None:
                ext = getattr(task.task_spec, "extensions", None) or {}
                documentation = task.task_spec.documentation or ext.get("instructionsForEndUser") or ""
            may_act, reason = self._may_act_on(s, row, instance, task, user)
            members = tuple(self._members(s, row)) if may_act and any(c.group_id for c in row.candidates) else ()
            tasks = tuple(TaskView.of(t) for t in s.scalars(
                select(HumanTask).where(HumanTask.instance_id == instance.id).order_by(HumanTask.id)))
            audit = tuple(AuditView.of(e) for e in s.scalars(
                select(AuditEvent).where(AuditEvent.chain == instance_chain(instance.id)).order_by(AuditEvent.seq)))
            targets = tuple(targets_of(task, tasks)) if may_act and task is not None else ()
            signers = signer_choice(start_event(task.workflow.top_workflow.spec), task.task_spec) \
                if may_act and task is not None else SignerChoice()
            return TaskPage(TaskView.of(row), InstanceView.of(instance), data, documentation,
                            self._form(s, form_versions(instance), row.form, row.ui_form),
                            self._instance_forms(s, instance), tasks, audit, may_act, reason, members, targets,
                            signers, tuple(side_tasks_of(s, instance.id, row.id)),
                            task is not None and return_mode(task.task_spec) == "back_to_me")
