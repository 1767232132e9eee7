"""Read side: instances, their tasks and data, definitions, users, operational figures (the inbox is in
inbox.py, the audit trail in audit_reads.py)."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from .storage.models import AuditEvent, Group, HumanTask, ProcessDefinition, ProcessInstance, User, get_row
from .directory import check_password
from .authoring.specs import deployed_forms
from .keyset import KeysetPage, read_page
from .search import current_data, matching
from .views import DefinitionView, InstanceView, TaskView, UserView


class Queries:
    """Mixed into Engine; every method is one read-only session."""

    def instance_titles(self, instance_ids) -> dict[int, str]:
        """Instance id -> title, for lists that show many tasks at once (one query)."""
        ids = list(instance_ids)
        if not ids:
            return {}
        with self.session() as s:
            return dict(s.execute(select(ProcessInstance.id, ProcessInstance.title)
                                  .where(ProcessInstance.id.in_(ids))).all())

    def count_instances(self, process_id: str | None = None, status: str | None = None,
                        started_by: str | None = None) -> int:
        """How many instances `instances` would list without its limit."""
        stmt = select(func.count(ProcessInstance.id))
        for column, value in ((ProcessInstance.process_id, process_id), (ProcessInstance.status, status),
                              (ProcessInstance.started_by, started_by)):
            if value:
                stmt = stmt.where(column == value)
        with self.session() as s:
            return s.scalar(stmt) or 0

    def open_tasks(self, instance_id: int) -> list[TaskView]:
        return self._tasks(select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open"))

    def instance_tasks(self, instance_id: int) -> list[TaskView]:
        return self._tasks(select(HumanTask).where(HumanTask.instance_id == instance_id))

    def task(self, task_id: int) -> TaskView:
        with self.session() as s:
            row = get_row(s, HumanTask, task_id)
            return TaskView.of(row)

    def instance(self, instance_id: int) -> InstanceView:
        with self.session() as s:
            row = get_row(s, ProcessInstance, instance_id)
            return InstanceView.of(row)

    def instances(self, process_id: str | None = None, status: str | None = None,
                  started_by: str | None = None, limit: int = 200, text: str | None = None,
                  before: int | None = None) -> list[InstanceView]:
        """Requests, newest first; `text` finds them by record number, subject or id (engine.search);
        `before`: the last id of the previous page (a keyset page costs the same at any depth)."""
        stmt = _instances(process_id, status, started_by, text).order_by(ProcessInstance.id.desc()).limit(limit)
        if before is not None:
            stmt = stmt.where(ProcessInstance.id < before)
        with self.session() as s:
            return [InstanceView.of(r) for r in s.scalars(stmt)]

    def instance_page(self, size: int, process_id: str | None = None, status: str | None = None,
                      started_by: str | None = None, text: str | None = None, after: int | None = None,
                      before: int | None = None) -> KeysetPage:
        """One keyset page of `instances` (`after` / `before`: the id ending / starting the neighbouring
        page)."""
        with self.session() as s:
            return read_page(s, _instances(process_id, status, started_by, text), ProcessInstance.id,
                             (ProcessInstance.id,), size, after, before, descending=True, count=False,
                             convert=InstanceView.of)

    def _workflow(self, s, instance_id: int):
        from .storage import serialization
        from .runtime.scripting import ScriptEngine
        row = get_row(s, ProcessInstance, instance_id)
        spec, subs = self.specs.get(s, row.definition_id, row.dependency_ids)
        return serialization.loads(row.state, spec, subs, ScriptEngine())

    def data(self, instance_id: int) -> dict[str, Any]:
        """The instance's current data: the final data once ended, else the newest task's data."""
        with self.session() as s:
            workflow = self._workflow(s, instance_id)
        return dict(current_data(workflow))

    def _task_of(self, task_id: int):
        """The spiff task behind an inbox row (loaded read-only), or None when it is gone."""
        with self.session() as s:
            row = get_row(s, HumanTask, task_id)
            guid = row.task_guid
            workflow = self._workflow(s, row.instance_id)
        return workflow.get_task_from_id(UUID(guid))

    def task_data(self, task_id: int) -> dict[str, Any]:
        """The data a task sees (for its instructions and form defaults)."""
        task = self._task_of(task_id)
        return dict(task.data) if task is not None else {}

    def task_documentation(self, task_id: int) -> str:
        """The task's BPMN documentation (a template over its data)."""
        task = self._task_of(task_id)
        if task is None:
            return ""
        ext = getattr(task.task_spec, "extensions", None) or {}
        return task.task_spec.documentation or ext.get("instructionsForEndUser") or ""

    def definitions(self, process_id: str | None = None) -> list[DefinitionView]:
        stmt = select(ProcessDefinition).order_by(ProcessDefinition.process_id, ProcessDefinition.version)
        if process_id:
            stmt = stmt.where(ProcessDefinition.process_id == process_id)
        with self.session() as s:
            return [DefinitionView.of(d) for d in s.scalars(stmt)]

    def definition(self, definition_id: int) -> DefinitionView:
        with self.session() as s:
            row = get_row(s, ProcessDefinition, definition_id)
            return DefinitionView.of(row)

    def definition_xml(self, definition_id: int) -> str:
        with self.session() as s:
            row = get_row(s, ProcessDefinition, definition_id)
            return row.xml

    def definition_bundle(self, definition_id: int) -> list[tuple[str, str]]:
        """(filename, text) of everything a version ran with: its BPMN file, the form files deployed with
        it, and the decision tables that were newest when it was deployed."""
        with self.session() as s:
            row = get_row(s, ProcessDefinition, definition_id)
            files = [(row.filename, row.xml)]
            files += sorted((f"forms/{name}", text) for name, text in deployed_forms(s, row.id).items())
            tables = s.scalars(select(ProcessDefinition).where(ProcessDefinition.kind == "dmn",
                                                               ProcessDefinition.deployed_at <= row.deployed_at)
                               .order_by(ProcessDefinition.process_id, ProcessDefinition.version))
            newest = {t.process_id: t for t in tables}
            files += sorted((t.filename, t.xml) for t in newest.values())
            return files

    # -- directory ------------------------------------------------------------------------------
    def user(self, username: str) -> UserView | None:
        """The user with their groups, or None."""
        with self.session() as s:
            row = s.scalars(select(User).where(User.username == username)).first()
            if row is None:
                return None
            return UserView(row.username, row.name, row.email, row.active,
                            tuple(sorted(m.group_id for m in row.memberships)), row.session_epoch or 0)

    def end_sessions(self, username: str) -> None:
        """Sign the user out everywhere: every session made before this call stops working."""
        def work(unit) -> None:
            user = unit.session.scalars(select(User).where(User.username == username)).first()
            if user is not None:
                user.session_epoch = (user.session_epoch or 0) + 1
        self._unit(username, work)

    def authenticate(self, username: str, password: str) -> UserView | None:
        """The active user whose password matches, else None."""
        with self.session() as s:
            row = s.scalars(select(User).where(User.username == username)).first()
            # the password is checked even for unknown or inactive users: same time either way
            matches = check_password(row.password_hash if row is not None else None, password)
            ok = row is not None and row.active and matches
        return self.user(username) if ok else None

    def operational_figures(self) -> dict[str, Any]:
        """What an operator graphs, read from the database (the same whichever process is asked): instances
        by status, open tasks, completions and failures so far, how late the most overdue timer is, and
        how much mail waits to be sent."""
        from .storage.models import OutboxMessage
        with self.session() as s:
            by_status = dict(s.execute(select(ProcessInstance.status, func.count())
                                       .group_by(ProcessInstance.status)).all())
            open_tasks = s.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open"))
            completions = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "completed"))
            errors = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "error"))
            oldest_due = s.scalar(select(func.min(ProcessInstance.next_timer_at)).where(
                ProcessInstance.status == "running", ProcessInstance.next_timer_at.is_not(None)))
            outbox = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
        now = self.now()
        if oldest_due is not None and oldest_due.tzinfo is None:
            oldest_due = oldest_due.replace(tzinfo=now.tzinfo)
        lag = max(0.0, (now - oldest_due).total_seconds()) if oldest_due is not None else 0.0
        return {"instances": by_status, "open_tasks": open_tasks or 0, "completions": completions or 0,
                "step_errors": errors or 0, "timer_lag_seconds": lag, "outbox_backlog": outbox or 0}

    def database_ok(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.session() as s:
                s.execute(select(1))
            return True
        except Exception:  # noqa: BLE001 - any failure to reach it is the answer
            return False

    def people(self) -> dict[str, str]:
        """Active users' logins and names, by name (for pickers: copy to, mention)."""
        with self.session() as s:
            return dict(s.execute(select(User.username, User.name).where(User.active.is_(True))
                                  .order_by(User.name)).all())

    def group_names(self) -> dict[str, str]:
        """Group id -> display name (lanes are group ids; people read names)."""
        with self.session() as s:
            return {g.id: g.name for g in s.scalars(select(Group))}

    def startable_processes(self, user: str) -> list[DefinitionView]:
        """The newest version of each process the user may start."""
        from .authoring.specs import latest_definitions
        with self.session() as s:
            latest = [d for d in latest_definitions(s, "bpmn").values()]
            return [DefinitionView.of(d) for d in sorted(latest, key=lambda d: d.process_id)
                    if self._may_start(s, d.process_id, user)]


def _instances(process_id: str | None, status: str | None, started_by: str | None, text: str | None):
    stmt = select(ProcessInstance)
    if text and text.strip():
        stmt = stmt.where(matching(text))
    for column, value in ((ProcessInstance.process_id, process_id), (ProcessInstance.status, status),
                          (ProcessInstance.started_by, started_by)):
        if value:
            stmt = stmt.where(column == value)
    return stmt
