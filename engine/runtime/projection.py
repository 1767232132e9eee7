"""Keeps `human_task` rows in step with the workflow's READY user tasks (the inbox is SQL on them)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from .assignment import candidates_for
from ..deputies import deputies_now, hand_over
from ..storage import rows
from ..storage.rows import InstanceRow, TaskRow
from .runner import is_timer, timer_due


def task_properties(task_spec) -> dict[str, Any]:
    """A task spec's `spiffworkflow:properties` (form files, candidateVariable, ...)."""
    return ((getattr(task_spec, "extensions", None) or {}).get("properties") or {}) if task_spec else {}


TITLE_LENGTH = 300  # human_task.title


def task_title(task) -> str:
    """The task's name; with a `subject` property (a data variable's name), also what this one is about, so
    the tasks of a multi-instance step read apart in the inbox (「收回客户满意度问卷：福州纺织集团」)."""
    spec = task.task_spec
    name = spec.bpmn_name or spec.bpmn_id or spec.name
    subject = task_properties(spec).get("subject")
    value = task.data.get(subject) if subject else None
    if value in (None, "") or isinstance(value, (dict, list)):
        return name
    return f"{name}：{value}"[:TITLE_LENGTH]


def due_at(task, timers_by_parent: dict | None = None) -> datetime | None:
    """The time a timer boundary event on this task fires: the task's deadline. `timers_by_parent` keeps
    each parent's waiting timers for the next sibling (a gateway with 3,000 branches reads its children
    once, not once per branch)."""
    parent = task.parent
    if parent is None:
        return None
    timers = timers_by_parent.get(parent.id) if timers_by_parent is not None else None
    if timers is None:
        timers = [(s, timer_due(s)) for s in parent.children if s.state == TaskState.WAITING and is_timer(s)]
        if timers_by_parent is not None:
            timers_by_parent[parent.id] = timers
    times = [due for s, due in timers if s is not task and due is not None]
    return min(times) if times else None


def sync(session: Session, instance: InstanceRow, ready_tasks: list, now: datetime,
         completed: dict[str, str] | None = None, open_before: set[str] | None = None,
         known: dict[str, TaskRow] | None = None) -> list[TaskRow]:
    """Insert rows for newly READY tasks; close rows whose task is no longer READY.

    `completed` maps task guids completed by a person in this unit of work to that person.
    `open_before` (the READY guids when the workflow was loaded: exactly the open rows) and `known`
    (rows already loaded) spare the query for open rows in the common case. A task for someone out of office
    goes to their deputy instead (engine.deputies; `delegated_from` names who was away). Returns the opened
    rows.
    """
    completed = completed or {}
    ready = {str(t.id): t for t in ready_tasks}
    known = known or {}
    if open_before is not None and (open_before - set(ready)) <= set(known):
        existing = {guid: known[guid] for guid in open_before - set(ready)} | {g: None for g in open_before & set(ready)}
    else:
        existing = {row.task_guid: row for row in rows.read_tasks(
            session, rows.TASK.c.instance_id == instance.id, rows.TASK.c.status == "open",
            rows.TASK.c.side_of.is_(None))}
    closed = []
    for guid, row in existing.items():
        if guid not in ready:
            closed.append((row, "completed", completed[guid]) if guid in completed else (row, "cancelled", None))
    # a task that leaves the inbox while it waits on side tasks (cancelled, withdrawn, a timer) takes them along
    closed += [(side, "cancelled", None) for side in rows.open_side_tasks(session, [r.id for r, _s, _b in closed
                                                                                       if r.held])]
    rows.close_tasks(session, closed, now)
    opened = []
    timers_by_parent: dict = {}
    new = [(guid, task) for guid, task in ready.items() if guid not in existing]
    away = deputies_now(session, now) if new else {}
    for guid, task in new:
        props = task_properties(task.task_spec)
        who = candidates_for(task.task_spec.lane, props, task.data, instance.started_by)
        users, absent = hand_over(session, set(who.users), set(who.groups), away, instance.started_by)
        values = dict(
            instance_id=instance.id, task_guid=guid, bpmn_id=task.task_spec.bpmn_id, title=task_title(task),
            process_id=instance.process_id, lane=task.task_spec.lane,
            form=props.get("formJsonSchemaFilename"), ui_form=props.get("formUiSchemaFilename"),
            assignee=next(iter(users)) if len(users) == 1 and not who.groups else None,
            status="open", created_at=now, due_at=due_at(task, timers_by_parent),
            delegated_from=",".join(absent)[:200] or None)
        opened.append(rows.open_task(session, values, sorted(who.groups), sorted(users)))
    return opened
