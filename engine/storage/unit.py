"""The unit of work: one transaction, one locked instance, state + projection + audit saved together."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from ..runtime import events, outcome, projection, workdays
from .. import deputies, mail, notices, search, webhooks
from . import rows, serialization
from ..runtime.compaction import compact
from ..audit import AuditLog, instance_chain
from ..errors import NotFound
from .models import EventWait
from .rows import InstanceRow
from ..runtime.operators import OperatorContext
from ..runtime.runner import RunResult, snapshot, status_of
from ..runtime.scripting import ScriptEngine
from ..authoring.specs import SpecCache


@dataclass
class Thrown:
    """A message or signal an instance sent, routed to other instances before the commit."""

    source_id: int
    kind: str
    name: str
    event: Any


@dataclass
class Unit:
    """Everything one verb touches; `Engine._unit` opens it and commits it exactly once."""

    session: Session
    now: datetime
    actor: str
    specs: SpecCache
    locking: bool
    mail_enabled: bool = False
    operators: Mapping[str, Any] = field(default_factory=dict)     # the engine's service operators
    audit_key: bytes | None = None                                  # signs new audit rows (HMAC)
    search_paths: tuple[str, ...] = ()                              # identifiers lists find requests by
    audit: AuditLog = field(init=False)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)      # mail and robot posts to queue
    open_before: dict[int, set[str]] = field(default_factory=dict)  # instance id -> READY guids at load
    known_rows: dict[str, Any] = field(default_factory=dict)        # task guid -> TaskRow read here
    instances: dict[int, InstanceRow] = field(default_factory=dict) # the instance rows this unit holds
    waits_stored: dict[int, set] = field(default_factory=dict)      # instance id -> event_wait rows
    thrown: list[Thrown] = field(default_factory=list)              # messages and signals to route

    def __post_init__(self):
        self.audit = AuditLog(self.session, self.audit_key)

    def write_pending(self) -> None:
        """Write what was collected during the unit (instance changes since their save, audit events, mail),
        just before the commit."""
        for instance in self.instances.values():
            rows.write_instance(self.session, instance)
        self.audit.write()
        mail.write(self.session, self.outbox)
        self.outbox = []

    def lock_instance(self, instance_id: int, skip_locked: bool = False) -> InstanceRow | None:
        """The instance row, locked on PostgreSQL (SQLite relies on the version column); NotFound when it
        does not exist, None when `skip_locked` and another transaction holds it."""
        if instance_id in self.instances:
            return self.instances[instance_id]
        instance = rows.read_instance(self.session, instance_id, self.locking, skip_locked and self.locking)
        if instance is None:
            if skip_locked and self.locking and rows.read_instance(self.session, instance_id) is not None:
                return None
            raise NotFound(f"instance {instance_id} does not exist")
        return self.hold(instance)

    def hold(self, instance: InstanceRow) -> InstanceRow:
        """Keep an instance row read elsewhere in this unit; it is written before the commit."""
        return self.instances.setdefault(instance.id, instance)

    def new_instance(self, values: dict[str, Any]) -> InstanceRow:
        """Insert a new instance row (its id is needed before its state exists)."""
        return self.hold(rows.insert_instance(self.session, values))

    def holds_write_lock(self) -> bool:
        """SQLite: this unit has written, so it holds the database's one write lock until it commits
        (PostgreSQL locks rows, and other writers go on)."""
        if self.locking or not self.session.in_transaction():
            return False
        return bool(getattr(self.session.connection().connection.dbapi_connection, "in_transaction", False))

    def touch(self, instance: InstanceRow) -> None:
        """Bump the version even when only projection rows change, so concurrent writers collide."""
        instance.touched = True

    def script_engine(self, instance: InstanceRow) -> ScriptEngine:
        ctx = OperatorContext(self.session, self.now, self.actor, instance.id, instance.process_id,
                              self.notifications)
        return ScriptEngine(ctx, self.operators)

    def load(self, instance: InstanceRow) -> BpmnWorkflow:
        spec, subprocess_specs = self.specs.get(self.session, instance.definition_id, instance.dependency_ids)
        workflow = serialization.loads(instance.state, spec, subprocess_specs, self.script_engine(instance))
        self.open_before[instance.id] = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
        self.waits_stored.setdefault(instance.id, events.waits_of(workflow))
        return workflow

    def save(self, instance: InstanceRow, workflow: BpmnWorkflow, run: RunResult | None = None,
             completed: dict[str, str] | None = None, cancelled_as: str = "cancelled") -> None:
        """Write state, status, timers, inbox rows and the run's audit lines. `cancelled_as`: the outcome of a
        workflow cancelled in this unit (cancelled, withdrawn)."""
        previous = instance.status
        compact(workflow)
        instance.state = serialization.dumps(workflow)
        instance.serializer_version = serialization.SERIALIZER_VERSION
        error = run.error if run else None
        snap = snapshot(workflow)
        instance.status = status_of(workflow, snap, error)
        if error:
            instance.error, instance.error_element = error, run.error_element
        elif instance.status != "error":
            instance.error = instance.error_element = None
        instance.next_timer_at = snap.next_timer_at if instance.status == "running" else None
        if run is not None and run.deferred and instance.status == "running":
            instance.next_timer_at = self.now  # the worker's index: it continues the instance now
        if instance.status in ("completed", "cancelled") and instance.ended_at is None:
            instance.ended_at = self.now
        instance.search_text = search.search_text(instance.search_text, instance.title,
                                                  search.current_data(workflow), self.search_paths)
        self.touch(instance)
        self._collect_thrown(instance, workflow, run)
        self._sync_waits(instance, workflow)
        opened = projection.sync(self.session, instance, snap.ready, self.now, completed,
                                 self.open_before.get(instance.id), self.known_rows)
        for row in opened:
            if row.delegated_from:
                self.record(instance, "delegated_by_rule", task_guid=row.task_guid, bpmn_id=row.bpmn_id,
                            actor="engine", data={"title": row.title, "from": row.delegated_from.split(","),
                                                  "to": [c.username for c in row.candidates if c.username]})
            if self.mail_enabled:
                self.outbox += mail.task_opened(row, self.now)
        for step in run.steps if run else ():
            self.record(instance, step.kind, task_guid=step.task_guid, bpmn_id=step.bpmn_id,
                        data={"name": step.name, **step.data}, actor="engine")
        if error:
            self.record(instance, "error", bpmn_id=run.error_element, data={"error": error}, actor="engine")
        calendar = workdays.loaded()
        if calendar is not None and calendar.beyond:  # a deadline counted on Monday to Friday alone: say so
            self.record(instance, "calendar_unknown", data={"years": sorted(calendar.beyond)}, actor="engine")
            calendar.beyond.clear()
        self.announce(instance)
        if instance.status in ("completed", "cancelled") and previous != instance.status:
            ended = outcome.reached(workflow) if instance.status == "completed" else outcome.Outcome(cancelled_as, None,
                                                                                                    None)
            instance.outcome, instance.outcome_label = ended.code, ended.label
            self.record(instance, f"instance_{instance.status}", actor="engine",
                        bpmn_id=ended.end_event, data={"outcome": ended.code, "label": ended.label})
        rows.write_instance(self.session, instance)

    def announce(self, instance: InstanceRow) -> None:
        """Record the notifications collected in this unit (reminders and mentions for someone out of office
        also go to their deputy), put them in the people's notification centre, queue their mail and the
        posts to the chat robots of the groups they are for."""
        if not self.notifications:
            return
        # a procedure's own notification (no kind of its own) to the applicant tells the outcome of their request
        notes = [n if n.get("kind") else {**n, "kind": "outcome" if n.get("to") == instance.started_by else "notice"}
                 for n in self.notifications]
        notes = deputies.with_deputies(self.session, notes, self.now)
        notices.deliver(self.session, notes, instance.id, self.now)
        for note in notes:
            self.record(instance, "notified", data=note, actor="engine")
            if self.mail_enabled:
                self.outbox.append(mail.message(note["to"], note["subject"], note.get("body", ""), self.now,
                                                instance.id, note.get("kind")))
        self.outbox += webhooks.queue(self.session, notes, instance.id, self.now)
        self.notifications.clear()

    def _collect_thrown(self, instance: InstanceRow, workflow: BpmnWorkflow, run: RunResult | None) -> None:
        for event in workflow.get_events():  # drains SpiffWorkflow's queue of uncaught events
            if events.kind_of(event.event_definition) == events.MESSAGE:
                self.thrown.append(Thrown(instance.id, events.MESSAGE, event.event_definition.name, event))
        for event in run.signals if run else ():
            self.thrown.append(Thrown(instance.id, events.SIGNAL, event.event_definition.name, event))

    def _sync_waits(self, instance: InstanceRow, workflow: BpmnWorkflow) -> None:
        """Keep the router's index of what the instance waits for; written only when it changes."""
        waits = events.waits_of(workflow) if instance.status == "running" else set()
        if waits == self.waits_stored.get(instance.id, set()):
            return
        if instance.id in self.waits_stored:
            self.session.execute(delete(EventWait).where(EventWait.instance_id == instance.id))
        if waits:
            self.session.execute(insert(EventWait), [dict(instance_id=instance.id, kind=k, name=n)
                                                     for k, n in sorted(waits)])
        self.waits_stored[instance.id] = waits

    def record(self, instance: InstanceRow, kind: str, *, actor: str | None = None,
               task_guid: str | None = None, bpmn_id: str | None = None,
               data: dict[str, Any] | None = None) -> None:
        """Append to the instance's audit chain; its head lives on the locked instance row."""
        chain = instance_chain(instance.id)
        self.audit.seed(chain, instance.audit_seq or 0, instance.audit_hash)
        instance.audit_seq, instance.audit_hash = self.audit.append(
            kind=kind, actor=actor or self.actor, at=self.now, chain=chain, instance_id=instance.id,
            definition_id=instance.definition_id, process_id=instance.process_id, task_guid=task_guid,
            bpmn_id=bpmn_id, data=data)
