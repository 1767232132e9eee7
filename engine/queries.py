"""Read side: the inbox, the group queue, instances, definitions and the audit trail, as SQL."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Iterable
from uuid import UUID

from sqlalchemy import ARRAY, Integer, Select, any_, cast, func, or_, select, tuple_, union
from sqlalchemy.orm import selectinload

from . import checkpoint_file, checkpoint_schedule, checkpoints
from .audit import cross_check, instance_chain, verify_all
from .storage.models import (AuditEvent, Group, HumanTask, Membership, ProcessDefinition, ProcessInstance,
                             TaskCandidate, User, get_row)
from .directory import check_password
from .authoring.specs import deployed_forms
from .views import AuditView, DefinitionView, InstanceView, TaskView, UserView


def _audit_filter(stmt: Select, process_id, instance_id, actor, kind, since, until) -> Select:
    for column, value in ((AuditEvent.process_id, process_id), (AuditEvent.instance_id, instance_id),
                          (AuditEvent.kind, kind)):
        if value not in (None, ""):
            stmt = stmt.where(column == value)
    if actor not in (None, ""):  # a login, or a person's name as people know them ("张伟")
        stmt = stmt.where(or_(AuditEvent.actor == actor,
                              AuditEvent.actor.in_(select(User.username).where(User.name == actor))))
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    return stmt


def offered_task_ids(username: str, groups: Iterable[str]) -> Any:
    """Ids of open tasks offered to the user or one of their groups: read from the open candidates of the
    user and of each group only (two partial indexes), never from every open task in the system. The groups
    are given as values (read first), so the planner knows how few candidates they have."""
    by_user = select(TaskCandidate.human_task_id).where(TaskCandidate.is_open == True,  # noqa: E712 - SQL
                                                          TaskCandidate.username == username)
    groups = sorted(groups)
    if not groups:
        return by_user
    by_group = select(TaskCandidate.human_task_id).where(TaskCandidate.is_open == True,  # noqa: E712
                                                           TaskCandidate.group_id.in_(groups))
    return union(by_group, by_user)


def inbox_query(username: str, process_id: str | None = None) -> Select:
    """Open tasks assigned to the user (the (assignee, status) index)."""
    stmt = select(HumanTask).where(HumanTask.assignee == username, HumanTask.status == "open")
    return stmt.where(HumanTask.process_id == process_id) if process_id else stmt


def group_queue_query(username: str, groups: Iterable[str], process_id: str | None = None,
                      postgres: bool = False) -> Select:
    """Open, unclaimed tasks offered to the user or one of their groups. On PostgreSQL the offered ids go
    in as one array (`id = ANY((SELECT array_agg(...)))`): the planner then looks each task up by its key, where a join
    would let an estimate that counts the group's closed history choose a scan of every task."""
    offered = offered_task_ids(username, groups)
    if postgres:
        ids = offered.subquery()
        chosen = HumanTask.id == any_(cast(select(func.array_agg(ids.c.human_task_id)).scalar_subquery(),
                                           ARRAY(Integer)))
    else:
        chosen = HumanTask.id.in_(offered)
    stmt = select(HumanTask).where(chosen, HumanTask.status == "open", HumanTask.assignee.is_(None))
    return stmt.where(HumanTask.process_id == process_id) if process_id else stmt


def actionable_query(username: str, groups: Iterable[str], postgres: bool = False) -> Select:
    """Everything the user can act on: assigned to them, or offered to them and unclaimed."""
    return select(HumanTask).where(HumanTask.id.in_(union(
        inbox_query(username).with_only_columns(HumanTask.id),
        group_queue_query(username, groups, postgres=postgres).with_only_columns(HumanTask.id))))


class Queries:
    """Mixed into Engine; every method is one read-only session."""

    def _tasks(self, stmt: Select, limit: int | None = None, after: int | None = None,
               history: bool = False) -> list[TaskView]:
        """Tasks in creation order, or for `history` the most recently completed first; one keyset page
        when `limit` is given: `after` is the last id of the previous page, so any page costs the same."""
        if history:
            key = tuple_(HumanTask.completed_at, HumanTask.id)
            order = (HumanTask.completed_at.desc(), HumanTask.id.desc())
            if after is not None:
                stmt = stmt.where(key < tuple_(select(HumanTask.completed_at).where(HumanTask.id == after)
                                               .scalar_subquery(), after))
        else:
            order = (HumanTask.id,)
            if after is not None:
                stmt = stmt.where(HumanTask.id > after)
        stmt = stmt.options(selectinload(HumanTask.candidates)).order_by(*order)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.session() as s:
            return [TaskView.of(r) for r in s.scalars(stmt)]

    def _user_groups(self, user: str) -> list[str]:
        with self.session() as s:
            return sorted(self._groups(s, user))

    def tasks(self, user: str, limit: int | None = None, after: int | None = None) -> list[TaskView]:
        """Everything the user can act on: assigned to them, or open to one of their groups."""
        return self._tasks(actionable_query(user, self._user_groups(user), self.locking), limit, after)

    def inbox(self, user: str, limit: int | None = None, after: int | None = None) -> list[TaskView]:
        return self._tasks(inbox_query(user), limit, after)

    def group_queue(self, user: str, limit: int | None = None, after: int | None = None) -> list[TaskView]:
        return self._tasks(group_queue_query(user, self._user_groups(user), postgres=self.locking), limit, after)

    def task_page(self, user: str, tab: str = "mine", process_id: str | None = None, sort: str = "due",
                  limit: int = 20, offset: int = 0) -> tuple[list[TaskView], int, list[str]]:
        """One page of the inbox in SQL: (tasks, how many match, the processes this tab holds).

        tab: all (everything I can act on), mine (assigned to me), group (my groups' unclaimed), done
        (completed by me); sort: due (tasks
        with a deadline first, nearest first) or created; done is always newest first.
        """
        groups = self._user_groups(user)
        base = {"all": actionable_query(user, groups, self.locking), "mine": inbox_query(user),
                "group": group_queue_query(user, groups, postgres=self.locking),
                "done": select(HumanTask).where(HumanTask.completed_by == user)}[tab]
        filtered = base.where(HumanTask.process_id == process_id) if process_id else base
        if tab == "done":
            order = (HumanTask.completed_at.desc(), HumanTask.id.desc())
        elif sort == "created":
            order = (HumanTask.created_at, HumanTask.id)
        else:
            order = (HumanTask.due_at.is_(None), func.coalesce(HumanTask.due_at, HumanTask.created_at),
                     HumanTask.created_at, HumanTask.id)
        with self.session() as s:
            processes = sorted(s.scalars(select(base.subquery().c.process_id).distinct()))
            total = s.scalar(select(func.count()).select_from(filtered.subquery())) or 0
            rows = s.scalars(filtered.options(selectinload(HumanTask.candidates)).order_by(*order)
                             .limit(limit).offset(offset))
            return [TaskView.of(r) for r in rows], total, processes

    def task_counts(self, user: str) -> dict[str, int]:
        """How many tasks wait in the user's inbox and group queue (for the navigation), counted in SQL."""
        with self.session() as s:
            counts = {name: s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
                      for name, stmt in (("mine", inbox_query(user)),
                                         ("group", group_queue_query(user, sorted(self._groups(s, user)),
                                                                     postgres=self.locking)))}
        counts["all"] = counts["mine"] + counts["group"]  # disjoint: the group queue is the unclaimed
        return counts

    def waiting_on(self, instance_ids) -> dict[int, list[TaskView]]:
        """Instance id -> its open tasks (what it waits for, with whom and since when), in one query."""
        ids = list(instance_ids)
        if not ids:
            return {}
        found: dict[int, list[TaskView]] = {}
        stmt = (select(HumanTask).where(HumanTask.instance_id.in_(ids), HumanTask.status == "open")
                .options(selectinload(HumanTask.candidates)).order_by(HumanTask.id))
        with self.session() as s:
            for row in s.scalars(stmt):
                found.setdefault(row.instance_id, []).append(TaskView.of(row))
        return found

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

    def completed_tasks(self, user: str, limit: int | None = 200, after: int | None = None) -> list[TaskView]:
        """Tasks the user completed, newest first (`after`: the last id of the previous page)."""
        return self._tasks(select(HumanTask).where(HumanTask.completed_by == user), limit, after, history=True)

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
                  started_by: str | None = None, limit: int = 200, offset: int = 0) -> list[InstanceView]:
        stmt = select(ProcessInstance).order_by(ProcessInstance.id.desc()).limit(limit).offset(offset)
        if process_id:
            stmt = stmt.where(ProcessInstance.process_id == process_id)
        if status:
            stmt = stmt.where(ProcessInstance.status == status)
        if started_by:
            stmt = stmt.where(ProcessInstance.started_by == started_by)
        with self.session() as s:
            return [InstanceView.of(r) for r in s.scalars(stmt)]

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
        if workflow.is_completed():
            return dict(workflow.data)
        task = workflow.last_task or workflow.task_tree
        return dict(task.data)

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

    def audit_trail(self, instance_id: int) -> list[AuditView]:
        stmt = select(AuditEvent).where(AuditEvent.chain == instance_chain(instance_id)).order_by(AuditEvent.seq)
        with self.session() as s:
            return [AuditView.of(e) for e in s.scalars(stmt)]

    def search_audit(self, process_id: str | None = None, instance_id: int | None = None,
                     actor: str | None = None, kind: str | None = None, since: datetime | None = None,
                     until: datetime | None = None, limit: int = 1000, offset: int = 0) -> list[AuditView]:
        stmt = _audit_filter(select(AuditEvent), process_id, instance_id, actor, kind, since, until)
        with self.session() as s:
            return [AuditView.of(e) for e in
                    s.scalars(stmt.order_by(AuditEvent.at, AuditEvent.id).limit(limit).offset(offset))]

    def count_audit(self, process_id: str | None = None, instance_id: int | None = None,
                    actor: str | None = None, kind: str | None = None, since: datetime | None = None,
                    until: datetime | None = None) -> int:
        """How many events `search_audit` would find without its limit."""
        stmt = _audit_filter(select(func.count(AuditEvent.id)), process_id, instance_id, actor, kind, since, until)
        with self.session() as s:
            return s.scalar(stmt) or 0

    def verify_audit(self, instance_id: int | None = None):
        """(chains checked, broken links); one instance's chain, or every chain."""
        with self.session() as s:
            chains, broken = verify_all(s, instance_chain(instance_id) if instance_id else None, self.audit_key)
            return chains, broken + cross_check(s, instance_id)

    # -- external checkpoints (checkpoints.py) --------------------------------------------------
    def checkpoint_path(self) -> Path:
        """The checkpoint file: APPROVALS_CHECKPOINT_FILE, else beside the SQLite file or in the instance folder."""
        return checkpoint_file.default_path(self.sa_engine.url.render_as_string(hide_password=True))

    def write_checkpoint(self, path: Path | None = None) -> checkpoints.CheckpointView:
        """Append a checkpoint of every chain's head to the checkpoint file."""
        with self.session() as s:
            return checkpoints.write(s, path or self.checkpoint_path(), self.now(), self.audit_key)

    def checkpoint_if_due(self) -> checkpoints.CheckpointView | None:
        """The worker's round: a checkpoint when APPROVALS_CHECKPOINT_EVERY has passed and the trail changed."""
        return checkpoint_schedule.write_if_due(self.session, self.checkpoint_path(), self.now(), self.audit_key)

    def latest_checkpoint(self, path: Path | None = None, line: int | None = None) -> checkpoints.CheckpointView | None:
        """A checkpoint's summary (the newest by default), or None when there is none yet."""
        return checkpoints.summary(path or self.checkpoint_path(), line)

    def verify_checkpoint(self, path: Path | None = None, line: int | None = None, root: str | None = None,
                          instance_id: int | None = None) -> checkpoints.CheckpointReport:
        """The trail (every chain, or one instance's) against a checkpoint: rewritten, cut or deleted chains."""
        with self.session() as s:
            return checkpoints.verify_against(s, path or self.checkpoint_path(), self.audit_key, line, root,
                                              instance_chain(instance_id) if instance_id else None)

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
