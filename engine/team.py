"""What a manager oversees: the open work of the groups their own groups oversee (`oversees` in the
directory), with per-group counts (open, unclaimed, overdue, waiting since), and read access to those
groups' requests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .storage.models import Group, HumanTask, Membership, ProcessInstance, TaskCandidate, User
from .views import TaskView


@dataclass(frozen=True)
class GroupLoad:
    group_id: str
    open: int            # open tasks offered to the group or held by one of its members
    unclaimed: int       # of those, nobody has taken yet
    overdue: int         # of those, past their deadline
    waiting_since: datetime | None  # the oldest of them


@dataclass(frozen=True)
class TeamOverview:
    groups: tuple[GroupLoad, ...]
    tasks: tuple[TaskView, ...]  # the open tasks, most urgent first (at most `limit`)
    more: bool                   # there are more than `limit`


def _members(groups) -> select:
    return select(User.username).join(Membership, Membership.user_id == User.id).where(Membership.group_id.in_(groups))


def _open_work(groups):
    """Open tasks offered to one of the groups, or held by one of their members."""
    offered = select(TaskCandidate.human_task_id).where(TaskCandidate.is_open.is_(True),
                                                        TaskCandidate.group_id.in_(groups))
    return (HumanTask.status == "open") & or_(HumanTask.id.in_(offered), HumanTask.assignee.in_(_members(groups)))


class TeamReads:
    """Mixed into Engine; relies on its `session` and `_groups`."""

    def overseen_groups(self, user: str) -> tuple[str, ...]:
        """The groups whose work the user oversees (through any of their groups)."""
        with self.session() as s:
            mine = self._groups(s, user)
            if not mine:
                return ()
            lists = s.scalars(select(Group.oversees).where(Group.id.in_(mine), Group.oversees.is_not(None)))
            return tuple(sorted({g for found in lists for g in (found or [])}))

    def team_overview(self, user: str, now: datetime, limit: int = 100) -> TeamOverview:
        groups = self.overseen_groups(user)
        if not groups:
            return TeamOverview((), (), False)
        with self.session() as s:
            loads = []
            for group in groups:
                where = _open_work([group])
                total, unclaimed, overdue, oldest = s.execute(select(
                    func.count(), func.count().filter(HumanTask.assignee.is_(None)),
                    func.count().filter(HumanTask.due_at < now), func.min(HumanTask.created_at)).where(where)).one()
                loads.append(GroupLoad(group, total, unclaimed, overdue, oldest))
            rows = list(s.scalars(select(HumanTask).where(_open_work(groups))
                                  .options(selectinload(HumanTask.candidates))
                                  .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at,
                                            HumanTask.id).limit(limit + 1)))
            return TeamOverview(tuple(loads), tuple(TaskView.of(r) for r in rows[:limit]), len(rows) > limit)

    def oversees_instance(self, user: str, instance_id: int) -> bool:
        """True when the request was started by, waits for, or was worked on by a group the user oversees."""
        groups = self.overseen_groups(user)
        if not groups:
            return False
        members = _members(groups)
        offered = select(TaskCandidate.human_task_id).where(TaskCandidate.group_id.in_(groups))
        with self.session() as s:
            started = s.scalar(select(ProcessInstance.id).where(ProcessInstance.id == instance_id,
                                                                ProcessInstance.started_by.in_(members)))
            if started is not None:
                return True
            return s.scalar(select(HumanTask.id).where(
                HumanTask.instance_id == instance_id,
                or_(HumanTask.id.in_(offered), HumanTask.assignee.in_(members),
                    HumanTask.completed_by.in_(members))).limit(1)) is not None
