"""The facade: every verb is one unit of work (lock, load, check, run, save, audit, commit once)."""
from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from . import continuing
from .audit import SYSTEM_CHAIN, audit_key
from .authoring import forms as formlib
from .authoring.specs import SpecCache, dependencies_for, latest_definitions, start_event
from .authoring.replaying import ReplayVerbs
from .authoring.versioning import VersionVerbs
from .clock import Clock, as_utc, frozen_at, system_clock
from .deploying import DeployVerbs
from .documents import DocumentReads
from .directory import SYSTEM_USER, groups_of, import_directory
from .errors import Conflict, NotAllowed, NotFound
from .extensions import Extension
from .form_reads import FormReads, form_versions
from .messaging import EventVerbs
from .pages import PageReads
from .audit_reads import AuditReads
from .continuing import ContinuationVerbs
from .inbox import InboxReads
from .lookups import LookupVerbs
from .queries import Queries
from .access import AccessReads
from .notices import NoticeReads
from .preferences import PreferenceVerbs
from .deputies import DeputyVerbs
from .webhooks import WebhookVerbs
from .search import SearchVerbs
from .files.limits import Limits
from .files.store import DiskStore, FileStore, default_dir
from .staples import attachments
from .staples.attachments import AttachmentVerbs
from .staples.bulk import BulkVerbs
from .staples.comments import CommentVerbs
from .staples.copies import CopyVerbs, add_copies, declared_copies
from .runtime.switches import is_on
from .staples.reminders import ReminderVerbs
from .staples.returning import ReturnVerbs
from .staples.side_tasks import SideTaskVerbs
from .staples.signers import held_reason, require_free
from .staples.withdrawal import WithdrawalVerbs
from .reports import ReportReads
from .team import TeamReads
from .working_calendar import CalendarVerbs, load_calendar
from .runtime import events, runner, workdays
from .runtime.assignment import READ_ONLY_GROUP, refusal, require_actor, start_lane
from .runtime.operators import BUILTIN, OperatorContext, combine
from .signin import SignInVerbs
from .storage import rows, serialization
from .storage.db import is_postgres, make_engine, make_sessionmaker
from .storage.models import HumanTask, ProcessInstance, get_row
from .storage.unit import Unit
from .tasks import TaskVerbs
from .tokens import TokenVerbs
from .views import InstanceView

DEFAULT_FORMS_DIR = Path(os.environ.get("APPROVALS_FORMS_DIR") or Path(__file__).resolve().parent.parent / "forms")
RETRIES = 3


class Engine(ContinuationVerbs, DeployVerbs, FormReads, TaskVerbs, VersionVerbs, ReplayVerbs, EventVerbs, PageReads,
             SignInVerbs, TokenVerbs, InboxReads, AuditReads, SearchVerbs, TeamReads, AccessReads, CommentVerbs,
             WithdrawalVerbs, ReminderVerbs, CopyVerbs, ReturnVerbs, SideTaskVerbs, BulkVerbs, AttachmentVerbs,
             NoticeReads, CalendarVerbs, LookupVerbs, DocumentReads, PreferenceVerbs, DeputyVerbs, WebhookVerbs,
             ReportReads, Queries):
    """Deploy, start, claim, complete, cancel, retry, fire timers, send messages and signals; read the
    inbox and the history."""

    def __init__(self, sa_engine, forms_dir: Path | None = None, clock: Clock | None = None,
                 mail: bool | None = None, extensions: Sequence[Extension] = (), files: FileStore | None = None):
        self.sa_engine = sa_engine
        self.files = files or DiskStore(default_dir())  # attachments' bytes, by sha256
        self.attachment_limits = Limits.from_env()
        self.extensions = tuple(extensions)
        self.audit_key = audit_key()  # from a file outside the database, when the operator set one
        self.operators = combine(BUILTIN, *(ext.operators for ext in self.extensions))
        self.search_paths = tuple(dict.fromkeys(f.path for ext in self.extensions for f in ext.record_fields))
        # Queue mail only where it will be sent (SMTP_HOST set, or asked for): otherwise it is pure cost.
        self.mail = bool(os.environ.get("SMTP_HOST")) if mail is None else mail
        self.Session = make_sessionmaker(sa_engine)
        self.forms = formlib.FormStore(forms_dir or DEFAULT_FORMS_DIR)
        self.clock = clock or system_clock
        self.specs = SpecCache()
        self.locking = is_postgres(sa_engine)

    @classmethod
    def from_url(cls, url: str | None = None, **kwargs) -> Engine:
        return cls(make_engine(url), **kwargs)

    # -- plumbing -----------------------------------------------------------------------------
    def now(self) -> datetime:
        return as_utc(self.clock())

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end)."""
        with self.Session() as session:
            try:
                yield session
            finally:
                session.rollback()

    def _unit(self, actor: str, fn: Callable[[Unit], Any], now: datetime | None = None) -> Any:
        """Run `fn` in one transaction; a concurrent writer's loss is retried, then reported as Conflict."""
        for attempt in range(RETRIES):
            with self.Session() as session:
                unit = Unit(session, now or self.now(), actor, self.specs, self.locking, self.mail, self.operators,
                            self.audit_key, self.search_paths)
                try:
                    # everything SpiffWorkflow does in this unit (catching, cancelling, timers it checks
                    # on the way) sees the unit's time, never the machine's
                    with session.begin(), frozen_at(unit.now), workdays.using(lambda: load_calendar(session)):
                        result = fn(unit)
                        if unit.thrown:  # messages and signals go out with the step that sent them
                            self._route(unit)
                        unit.write_pending()
                        return result
                except (StaleDataError, IntegrityError) as exc:
                    if attempt == RETRIES - 1:
                        raise Conflict("someone else changed this instance at the same time; try again",
                                       "concurrent") from exc
                except OperationalError as exc:
                    # SQLite: database locked past the busy timeout; PostgreSQL: two units that deliver
                    # to each other's instances locked them in opposite orders, or the connection dropped
                    # before the commit (a restart): nothing was committed, so the unit runs again
                    retry = "locked" in str(exc) or "deadlock" in str(exc) or exc.connection_invalidated
                    if not retry or attempt == RETRIES - 1:
                        raise
        raise AssertionError("unreachable")

    def _groups(self, session: Session, user: str) -> set[str]:
        """The user's groups, read once per transaction."""
        known = session.info.setdefault("groups", {})
        if user not in known:
            known[user] = groups_of(session, user)
        return known[user]

    # -- directory ----------------------------------------------------------------------------
    def import_users(self, document: dict[str, Any]) -> tuple[int, int]:
        """Create or update groups and users (see engine.directory); returns (groups, users)."""
        def work(unit: Unit) -> tuple[int, int]:
            changes: list[dict[str, Any]] = []
            counts = import_directory(unit.session, document, changes)
            for change in changes:  # who may do what is part of what the trail must prove
                unit.audit.append(kind="membership_changed", actor=SYSTEM_USER, at=unit.now, chain=SYSTEM_CHAIN,
                                  data=change)
            return counts
        return self._unit(SYSTEM_USER, work)

    def run_verb(self, name: str, actor: str, fn: Callable[[OperatorContext], Any],
                 data: dict[str, Any] | None = None) -> Any:
        """Run an extension's own verb (e.g. importing a register) in one unit of work: `fn(ctx)` gets the
        transaction's session, the time and the actor; the verb and its `data` go to the system audit chain."""
        def work(unit: Unit) -> Any:
            ctx = OperatorContext(unit.session, unit.now, actor, None, "", unit.notifications)
            result = fn(ctx)
            unit.audit.append(kind="verb", actor=actor, at=unit.now, chain=SYSTEM_CHAIN, data={"verb": name,
                                                                                              **(data or {})})
            return result
        return self._unit(actor, work)

    # -- start --------------------------------------------------------------------------------
    def _newest(self, s: Session, process_id: str):
        """(definition, dependency ids, spec, subprocess specs) of the newest version of a process."""
        latest = latest_definitions(s)
        definition = latest.get(process_id)
        if definition is None or definition.kind != "bpmn":
            raise NotFound(f"no deployed process {process_id!r}")
        deps = dependencies_for(s, definition, self.specs, latest)
        spec, subprocess_specs = self.specs.get(s, definition.id, deps)
        return definition, deps, spec, subprocess_specs

    def _may_start(self, s: Session, process_id: str, user: str, spec=None) -> bool:
        spec = spec or self._newest(s, process_id)[2]
        if not events.started_by_hand(spec):  # it starts on a message, a signal or a timer
            return False
        lane = getattr(start_event(spec), "lane", None)
        if user != SYSTEM_USER and READ_ONLY_GROUP in self._groups(s, user):
            return False
        return user == SYSTEM_USER or lane in (None, "initiator") or lane in self._groups(s, user)

    def may_start(self, process_id: str, user: str) -> bool:
        """True when the user belongs to the lane of the process's start event."""
        with self.session() as s:
            return self._may_start(s, process_id, user)

    def start(self, process_id: str, user: str, data: dict[str, Any] | None = None,
              copy_to: Sequence[str] = ()) -> InstanceView:
        """Start the newest version of a process with the start form's data; `copy_to`: the people and
        groups (`group:<id>`) the applicant copies it to (抄送), besides the copies the process declares."""
        def work(unit: Unit) -> InstanceView:
            s = unit.session
            definition, deps, spec, subprocess_specs = self._newest(s, process_id)
            if not events.started_by_hand(spec):
                raise NotAllowed(f"{process_id} starts on a message, a signal or a timer, not by hand", "event_start")
            require_actor(self._groups(s, user), user)
            if not self._may_start(s, process_id, user, spec):
                raise NotAllowed(f"{user} may not start {process_id}", "cannot_start")
            start_form = self._start_form(s, definition.id, spec)
            clean = formlib.validate(start_form, data or {})
            staged = attachments.staged_for_start(s, user, start_form, clean)
            if staged and not is_on("attachments", start_event(spec)):
                raise NotAllowed("attachments are turned off for this process", "staple_off")
            instance, workflow = self._begin(unit, definition, deps, spec, subprocess_specs, user, clean,
                                             {"form": clean, "version": definition.version})
            attachments.bind(unit, instance, staged)
            if copy_to and not is_on("copy", start_event(spec)):
                raise NotAllowed("copies are turned off for this process", "staple_off")
            add_copies(unit, instance, "engine", declared_copies(start_event(spec)))
            add_copies(unit, instance, user, list(copy_to))
            unit.save(instance, workflow, runner.RunResult(deferred=True))
            return InstanceView.of(instance)
        # Two units: the instance is saved (and queued for the worker) before any step runs, so no step
        # runs while the new row holds SQLite's write lock, and a request that dies leaves work the worker
        # finishes. The request then runs the first steps itself, within its step budget.
        queued = self._unit(user, work)
        try:
            self._advance(queued.id, self.now(), continuing.REQUEST_STEP_SECONDS, wait=True, actor=user)
            return self.instance(queued.id)
        except DBAPIError:
            # the database went away after the request was saved: it exists, and its steps are the
            # worker's now; saying "failed" would make the caller start it a second time
            return queued

    def _title(self, name: str, data: dict[str, Any]) -> str:
        """The process name, and what the request is about when an extension's title rule says."""
        for ext in self.extensions:
            subject = ext.title(data) if ext.title else None
            if subject:
                return f"{name} - {subject}"
        return name

    def _begin(self, unit: Unit, definition, deps, spec, subprocess_specs, user: str, data: dict[str, Any],
               started: dict[str, Any]) -> tuple[ProcessInstance, BpmnWorkflow]:
        """A new instance row and its workflow, with the `started` audit line; not run yet."""
        instance = unit.new_instance(dict(
            definition_id=definition.id, definition_version=definition.version, dependency_ids=deps,
            process_id=definition.process_id, title=self._title(definition.name, data), state="{}",
            serializer_version=serialization.SERIALIZER_VERSION, status="running", started_by=user,
            started_at=unit.now, next_timer_at=None, ended_at=None, error=None, error_element=None,
            outcome=None, outcome_label=None, audit_seq=0, audit_hash=None))
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=unit.script_engine(instance))
        workflow.task_tree.data.update({**data, "initiator": user, "instance_id": instance.id})
        unit.record(instance, "started", data=started)
        return instance, workflow

    # -- complete -----------------------------------------------------------------------------
    def complete(self, task_id: int, user: str, data: dict[str, Any] | None = None) -> InstanceView:
        """Complete an open task with the form's data; claims it first when it is unclaimed."""
        def work(unit: Unit) -> InstanceView:
            row, instance, workflow, task = self._open_task(unit, task_id, user)
            self._check_may_act(unit, row, instance, task, user)
            require_free(row)
            clean = self._validated(unit, instance, row, data)
            self._finish(unit, row, instance, workflow, task, user, clean)
            return InstanceView.of(instance)
        return self._unit(user, work)

    def _validated(self, unit: Unit, instance, row, data: dict[str, Any] | None) -> dict[str, Any]:
        """The data checked against the task's form (the version the instance started with), with the files
        its attachment fields name checked to belong to this task."""
        form = self._form(unit.session, form_versions(instance), row.form, row.ui_form)
        clean = formlib.validate(form, data or {})
        attachments.bound_rows(unit.session, form, clean, lambda a: a.task_id == row.id)
        return clean

    def _finish(self, unit: Unit, row, instance, workflow, task, user: str, clean: dict[str, Any]) -> None:
        """Complete the READY task as `user` with validated data, run on and save."""
        if row.assignee is None:  # closing the row makes the completer its assignee (storage.rows)
            unit.record(instance, "claimed", task_guid=row.task_guid, bpmn_id=row.bpmn_id, actor=user,
                        data={"implicit": True})
        task.task_spec.add_data_from_form(task, clean) if hasattr(task.task_spec, "add_data_from_form") \
            else task.data.update(clean)
        task.data[f"{row.bpmn_id}_by"] = user
        unit.record(instance, "completed", task_guid=row.task_guid, bpmn_id=row.bpmn_id, actor=user,
                    data={"title": row.title, "form": clean})
        result = runner.run_task(workflow, task, unit.now, continuing.REQUEST_STEP_SECONDS, unit.holds_write_lock)
        unit.save(instance, workflow, result, completed={row.task_guid: user})

    def _open_task(self, unit: Unit, task_id: int, user: str | None = None):
        """The open task row, its locked instance, the loaded workflow and the READY spiff task."""
        if self.locking:
            # PostgreSQL: lock the instance first and read the row under the lock, so a writer that
            # waited sees the winner's changes
            instance_id = unit.session.scalar(select(HumanTask.instance_id).where(HumanTask.id == task_id))
            if instance_id is None:
                raise NotFound(f"task {task_id} does not exist")
            instance = unit.lock_instance(instance_id)
            row = rows.read_task(unit.session, task_id)
        else:
            # SQLite: writers are serialised by the database and the instance's version column;
            # the task, its candidates, its instance and the acting user's groups come in one statement
            found = rows.task_with_instance(unit.session, task_id, user or "")
            if found is None:
                raise NotFound(f"task {task_id} does not exist")
            row, instance, groups = found
            instance = unit.hold(instance)
            if user:
                unit.session.info.setdefault("groups", {})[user] = groups
        unit.known_rows[row.task_guid] = row
        if row.side_of is not None:
            raise Conflict(f"task {task_id} is a side task: it is answered, not completed", "side_task")
        if row.status != "open":
            who = f" by {row.completed_by}" if row.completed_by else ""
            raise Conflict(f"task {task_id} is already {row.status}{who}", row.status, row.completed_by)
        workflow = unit.load(instance)
        task = workflow.get_task_from_id(UUID(row.task_guid))
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise Conflict(f"task {task_id} is no longer waiting for input", "not_waiting")
        return row, instance, workflow, task

    def _refusal(self, session: Session, row: HumanTask, instance: ProcessInstance, task, user: str):
        return refusal(row, user, self._groups(session, user), instance.started_by, start_lane(task),
                       bool(task.data.get("allow_self_approval")))

    def _check_may_act(self, unit: Unit, row: HumanTask, instance: ProcessInstance, task, user: str) -> None:
        problem = self._refusal(unit.session, row, instance, task, user)
        if problem is not None:
            raise problem

    def may_act(self, task_id: int, user: str) -> tuple[bool, str | None]:
        """(True, None) when the user may complete the task now, else (False, reason code)."""
        with self.session() as s:
            row = get_row(s, HumanTask, task_id)
            if row.status != "open":
                return False, row.status
            workflow = self._workflow(s, row.instance_id)
            task = workflow.get_task_from_id(UUID(row.task_guid))
            return self._may_act_on(s, row, get_row(s, ProcessInstance, row.instance_id), task, user)

    def _may_act_on(self, s: Session, row: HumanTask, instance: ProcessInstance, task,
                    user: str) -> tuple[bool, str | None]:
        """The engine's one answer to "may this user act on this task now", with the reason when not."""
        if row.status != "open":
            return False, row.status
        if row.side_of is not None:
            return False, "side_task"
        if task is None or task.state != TaskState.READY:
            return False, "not_waiting"
        problem = self._refusal(s, row, instance, task, user)
        if problem is not None:
            return False, problem.reason
        held = held_reason(row)
        return (True, None) if held is None else (False, held)

    # -- cancel, retry, timers ----------------------------------------------------------------
    def cancel(self, instance_id: int, user: str, reason: str = "") -> InstanceView:
        """Stop an instance; allowed to its initiator and to process owners."""
        def work(unit: Unit) -> InstanceView:
            instance = unit.lock_instance(instance_id)
            if user not in (instance.started_by, SYSTEM_USER) and "process_owner" not in self._groups(unit.session, user):
                raise NotAllowed(f"{user} may not cancel instance {instance_id}", "not_initiator")
            if instance.status in ("completed", "cancelled"):
                raise Conflict(f"instance {instance_id} is already {instance.status}", "instance_ended")
            workflow = unit.load(instance)
            workflow.cancel()
            unit.record(instance, "cancel_requested", data={"reason": reason})
            unit.save(instance, workflow)
            instance.status, instance.next_timer_at, instance.outcome = "cancelled", None, "cancelled"
            return InstanceView.of(instance)
        return self._unit(user, work)
