"""The inbox as SQL: what a person can act on (assigned to them, or offered to them or their groups and
unclaimed), reading only their own rows: the open candidates of the user and each of their groups (two
partial indexes) and `(assignee, status)`; never every open task, never the closed history."""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import ARRAY, Integer, Select, any_, cast, func, select, tuple_, union
from sqlalchemy.orm import selectinload

from .keyset import KeysetPage, read_page
from .search import matching
from .storage.models import HumanTask, ProcessInstance, TaskCandidate
from .views import TaskView


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


class InboxReads:
    """Mixed into Engine: task lists, inbox pages and counts, each one read-only session."""

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
                  limit: int = 20, after: int | None = None, before: int | None = None,
                  text: str | None = None) -> tuple[KeysetPage, list[str]]:
        """One keyset page of the inbox in SQL, with how many match and where the page starts, and the
        processes the tab holds. `after` / `before`: the task id at the end / start of the neighbouring page.

        tab: all (everything I can act on), mine (assigned to me), group (my groups' unclaimed), done
        (completed by me); sort: due (tasks with a deadline first, nearest first) or created; done is always
        newest first. `text`: only tasks of requests found by it (a record number, the subject in the title,
        the request's id; see engine.search).
        """
        groups = self._user_groups(user)
        base = {"all": actionable_query(user, groups, self.locking), "mine": inbox_query(user),
                "group": group_queue_query(user, groups, postgres=self.locking),
                "done": select(HumanTask).where(HumanTask.completed_by == user)}[tab]
        filtered = base.where(HumanTask.process_id == process_id) if process_id else base
        if text and text.strip():
            filtered = filtered.where(HumanTask.instance_id.in_(select(ProcessInstance.id).where(matching(text))))
        if tab == "done":
            order = (HumanTask.completed_at, HumanTask.id)
        elif sort == "created":
            order = (HumanTask.created_at, HumanTask.id)
        else:
            order = (HumanTask.due_at.is_(None), func.coalesce(HumanTask.due_at, HumanTask.created_at),
                     HumanTask.created_at, HumanTask.id)
        with self.session() as s:
            processes = sorted(s.scalars(select(base.subquery().c.process_id).distinct()))
            page = read_page(s, filtered.options(selectinload(HumanTask.candidates)), HumanTask.id, order, limit,
                             after, before, descending=tab == "done", convert=TaskView.of)
            return page, processes

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

    def completed_tasks(self, user: str, limit: int | None = 200, after: int | None = None) -> list[TaskView]:
        """Tasks the user completed, newest first (`after`: the last id of the previous page)."""
        return self._tasks(select(HumanTask).where(HumanTask.completed_by == user), limit, after, history=True)
