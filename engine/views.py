"""Plain dataclasses the engine hands out; no SpiffWorkflow or SQLAlchemy object crosses the API."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .storage.models import AuditEvent, HumanTask, ProcessDefinition, ProcessInstance


@dataclass(frozen=True)
class TaskView:
    id: int
    instance_id: int
    task_guid: str
    bpmn_id: str
    title: str
    process_id: str
    lane: str | None
    form: str | None
    ui_form: str | None
    assignee: str | None
    status: str
    created_at: datetime
    due_at: datetime | None
    completed_by: str | None
    completed_at: datetime | None
    candidate_groups: tuple[str, ...] = ()
    candidate_users: tuple[str, ...] = ()
    delegated_from: tuple[str, ...] = ()  # who was out of office, so their deputy has this task instead
    kind: str | None = None      # a side task: consult | countersign | rework (None: a step of the diagram)
    side_of: int | None = None   # the diagram task a side task waits on
    held: str | None = None      # a diagram task waiting on its side tasks: consult | countersign | rework

    @classmethod
    def of(cls, row: HumanTask) -> TaskView:
        return cls(row.id, row.instance_id, row.task_guid, row.bpmn_id, row.title, row.process_id, row.lane,
                   row.form, row.ui_form, row.assignee, row.status, row.created_at, row.due_at,
                   row.completed_by, row.completed_at,
                   tuple(c.group_id for c in row.candidates if c.group_id),
                   tuple(c.username for c in row.candidates if c.username),
                   tuple(row.delegated_from.split(",")) if row.delegated_from else (), row.kind, row.side_of, row.held)

    def is_overdue(self, now: datetime) -> bool:
        return self.status == "open" and self.due_at is not None and self.due_at <= now


@dataclass(frozen=True)
class InstanceView:
    id: int
    process_id: str
    definition_id: int
    definition_version: int
    title: str
    status: str
    started_by: str
    started_at: datetime
    ended_at: datetime | None
    next_timer_at: datetime | None
    error: str | None
    error_element: str | None
    outcome: str | None = None        # approved, rejected, expired, withdrawn, not_applicable, done, ...
    outcome_label: str | None = None  # the words of the end event it reached

    @classmethod
    def of(cls, row: ProcessInstance) -> InstanceView:
        return cls(row.id, row.process_id, row.definition_id, row.definition_version, row.title, row.status,
                   row.started_by, row.started_at, row.ended_at, row.next_timer_at, row.error, row.error_element,
                   row.outcome, row.outcome_label)


@dataclass(frozen=True)
class DefinitionView:
    id: int
    process_id: str
    kind: str
    name: str
    version: int
    filename: str
    sha256: str
    deployed_by: str
    deployed_at: datetime

    @classmethod
    def of(cls, row: ProcessDefinition) -> DefinitionView:
        return cls(row.id, row.process_id, row.kind, row.name, row.version, row.filename, row.sha256,
                   row.deployed_by, row.deployed_at)


@dataclass(frozen=True)
class AuditView:
    id: int
    chain: str
    seq: int
    instance_id: int | None
    definition_id: int | None
    process_id: str | None
    task_guid: str | None
    bpmn_id: str | None
    kind: str
    actor: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""

    @classmethod
    def of(cls, row: AuditEvent) -> AuditView:
        return cls(row.id, row.chain, row.seq, row.instance_id, row.definition_id, row.process_id,
                   row.task_guid, row.bpmn_id, row.kind, row.actor, row.at, dict(row.data or {}),
                   row.prev_hash, row.hash)


@dataclass(frozen=True)
class UserView:
    username: str
    name: str
    email: str | None
    active: bool
    groups: tuple[str, ...]
    session_epoch: int = 0


def to_jsonable(value: Any) -> Any:
    """Views (and lists or dicts of them) as JSON-ready values: dataclasses to dicts, dates and times to ISO."""
    if dataclasses.is_dataclass(value):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return value
