"""Claim, release and delegate: who holds a task, each change audited with its reason."""
from __future__ import annotations

from sqlalchemy import select

from .runtime.assignment import is_candidate, is_self_approval, start_lane
from .staples.signers import require_free
from .errors import Conflict, NotAllowed, NotFound
from .storage import rows
from .storage.models import HumanTask, Membership, User, get_row
from .views import TaskView


class TaskVerbs:
    """Mixed into Engine; relies on its `_unit`, `_open_task`, `_check_may_act` and `_groups`."""

    def claim(self, task_id: int, user: str, reason: str = "") -> TaskView:
        """Take an open task of one's group so that nobody else works on it."""
        def work(unit) -> TaskView:
            row, instance, _workflow, task = self._open_task(unit, task_id)
            if row.assignee == user:
                return TaskView.of(row)
            if row.assignee is not None:
                raise Conflict(f"task {task_id} is already claimed by {row.assignee}", "claimed", row.assignee)
            require_free(row)
            self._check_may_act(unit, row, instance, task, user)
            rows.assign(unit.session, row, user)
            unit.touch(instance)
            unit.record(instance, "claimed", task_guid=row.task_guid, bpmn_id=row.bpmn_id, data={"reason": reason})
            return TaskView.of(row)
        return self._unit(user, work)

    def unclaim(self, task_id: int, user: str, reason: str = "") -> TaskView:
        """Give a claimed task back to its group."""
        def work(unit) -> TaskView:
            row, instance, _workflow, _task = self._open_task(unit, task_id)
            if row.assignee != user:
                raise NotAllowed(f"task {task_id} is not claimed by {user}", "not_holder", row.assignee)
            if not any(c.group_id for c in row.candidates):
                raise Conflict(f"task {task_id} belongs to {user} alone and cannot be released", "not_releasable")
            require_free(row)  # it waits on what its holder asked: it stays with them
            rows.assign(unit.session, row, None)
            unit.touch(instance)
            unit.record(instance, "released", task_guid=row.task_guid, bpmn_id=row.bpmn_id, data={"reason": reason})
            return TaskView.of(row)
        return self._unit(user, work)

    def delegate(self, task_id: int, user: str, to_user: str, reason: str = "") -> TaskView:
        """Hand a task to another member of the same group."""
        def work(unit) -> TaskView:
            s = unit.session
            row, instance, _workflow, task = self._open_task(unit, task_id)
            self._check_may_act(unit, row, instance, task, user)
            require_free(row)
            if s.scalars(select(User.id).where(User.username == to_user, User.active.is_(True))).first() is None:
                raise NotFound(f"user {to_user!r} does not exist")
            if not is_candidate(row, to_user, self._groups(s, to_user)):
                raise NotAllowed(f"{to_user} is not in the group task {task_id} belongs to", "not_in_group", to_user)
            if is_self_approval(row, to_user, instance.started_by, start_lane(task),
                                bool(task.data.get("allow_self_approval"))):
                raise NotAllowed(f"{to_user} started this request and may not approve it", "self_approval", to_user)
            rows.assign(unit.session, row, to_user)
            unit.touch(instance)
            unit.record(instance, "delegated", task_guid=row.task_guid, bpmn_id=row.bpmn_id,
                        data={"from": user, "to": to_user, "reason": reason})
            return TaskView.of(row)
        return self._unit(user, work)

    def group_members(self, task_id: int) -> list[tuple[str, str]]:
        """(username, name) of the people a task could be delegated to."""
        with self.session() as s:
            return self._members(s, get_row(s, HumanTask, task_id))

    def _members(self, s, row: HumanTask) -> list[tuple[str, str]]:
        groups = [c.group_id for c in row.candidates if c.group_id]
        users = s.execute(select(User.username, User.name).join(Membership)
                          .where(Membership.group_id.in_(groups), User.active.is_(True))
                          .distinct().order_by(User.username)).all()
        return [(u, n) for u, n in users]

