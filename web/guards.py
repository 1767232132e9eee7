"""Who may see and who may act: the web's read-side checks (the engine re-checks every action)."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import SEE_ALL_GROUPS, InstanceView, NotAllowed, TaskView

from .engine_access import get_engine

__all__ = ["SEE_ALL_GROUPS"]  # process owners and auditors may look at any request (the engine's rule)


def refuse(message: str) -> NotAllowed:
    """NotAllowed with a message already in the user's language (shown as is, not as a technical detail)."""
    exc = NotAllowed(message)
    exc.for_people = True
    return exc


def involved(task: TaskView) -> bool:
    """True when I hold, held, completed or could take this task."""
    me = current_user.username
    return (me in (task.assignee, task.completed_by) or me in task.candidate_users
            or any(g in current_user.groups for g in task.candidate_groups))


def may_see_instance(instance: InstanceView, tasks: list[TaskView] | None = None) -> bool:
    """The engine's rule (engine.access): applicant, owners and auditors, the people of its tasks, those it
    was copied to or who were mentioned, and the managers overseeing them."""
    if current_user.in_group(*SEE_ALL_GROUPS) or instance.started_by == current_user.username:
        return True
    if tasks is not None and any(involved(t) for t in tasks):
        return True
    return get_engine().may_read(current_user.username, instance.id)


def may_cancel(instance: InstanceView) -> bool:
    """The engine's rule (initiator or process owner), for showing the button; auditors never act."""
    return (not current_user.is_auditor and instance.status not in ("completed", "cancelled")
            and (instance.started_by == current_user.username or current_user.in_group("process_owner")))


def next_task_for_me(instance_id: int) -> str | None:
    """The URL of the instance's next task when it is mine alone (an applicant's revision, say)."""
    me = current_user.username
    for task in get_engine().open_tasks(instance_id):
        if task.assignee == me or (task.assignee is None and task.candidate_users == (me,)):
            return url_for("tasks.show", task_id=task.id)
    return None


def require_actor() -> None:
    """Auditors are read-only everywhere: refuse any action before it reaches the engine."""
    if current_user.is_auditor:
        raise refuse(_("Auditors can view but not act."))


def get_task_or_404(task_id: int, act: bool = False) -> TaskView:
    """The task if I may see it (NotFound -> 404, NotAllowed -> 403 via web.errors)."""
    engine = get_engine()
    task = engine.task(task_id)
    if act:
        require_actor()
    if involved(task) or current_user.in_group(*SEE_ALL_GROUPS):
        return task
    if engine.may_read(current_user.username, task.instance_id):
        return task
    raise refuse(_("You may not open this task."))


def get_instance_or_404(instance_id: int) -> InstanceView:
    instance = get_engine().instance(instance_id)
    if not may_see_instance(instance):
        raise refuse(_("You may not open this request."))
    return instance
