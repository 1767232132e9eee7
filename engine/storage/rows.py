"""The rows a unit of work writes (the instance and its inbox rows), read and written with SQLAlchemy Core.

A unit reads its instance and task rows into plain records and writes them back with statements compiled
once: no unit-of-work pass, no identity map, no lazy loads. The instance row keeps optimistic locking on
its `version` column (a writer that lost the race gets StaleDataError, and the unit runs again).
The ORM models stay the schema and the read side (pages, queries)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .models import HumanTask, Membership, ProcessInstance, TaskCandidate, User

TASK = HumanTask.__table__
INSTANCE = ProcessInstance.__table__
CANDIDATE = TaskCandidate.__table__
_SEP = "\x1f"


class Record:
    """A row as attributes named after its columns; remembers what was read or last written."""

    columns: tuple[str, ...] = ()

    def __init__(self, values: dict[str, Any]):
        self.__dict__.update(values)
        self.__dict__["_written"] = {k: values[k] for k in self.columns}

    def changed(self) -> bool:
        return any(self.__dict__[k] != v for k, v in self._written.items())

    def values(self) -> dict[str, Any]:
        return {k: self.__dict__[k] for k in self.columns}


class InstanceRow(Record):
    """A process instance row held by a unit of work."""

    columns = tuple(c.key for c in INSTANCE.columns)
    touched = False  # write (and bump the version) even when no column changed


@dataclass(frozen=True)
class Candidate:
    group_id: str | None = None
    username: str | None = None


class TaskRow(Record):
    """An inbox row held by a unit of work, with its candidates."""

    columns = tuple(c.key for c in TASK.columns)
    candidates: list[Candidate]


# -- the instance ----------------------------------------------------------------------------------------
_MUTABLE = tuple(k for k in InstanceRow.columns if k not in ("id", "version", "started_by", "started_at"))
_WRITE_INSTANCE = (update(INSTANCE)
                   .where(INSTANCE.c.id == bindparam("w_id"), INSTANCE.c.version == bindparam("w_version"))
                   .values({k: bindparam(f"v_{k}") for k in _MUTABLE} | {"version": bindparam("v_version")}))
_INSERT_INSTANCE = insert(INSTANCE).returning(INSTANCE.c.id)
_READ_INSTANCE = select(INSTANCE).where(INSTANCE.c.id == bindparam("id"))


def read_instance(session: Session, instance_id: int, lock: bool = False,
                  skip_locked: bool = False) -> InstanceRow | None:
    """The instance row; with `lock` (PostgreSQL) locked FOR UPDATE until the commit (`skip_locked`: None
    when another transaction holds it)."""
    stmt = _READ_INSTANCE.with_for_update(skip_locked=skip_locked) if lock else _READ_INSTANCE
    found = session.connection().execute(stmt, {"id": instance_id}).mappings().first()
    return None if found is None else InstanceRow(dict(found))


def insert_instance(session: Session, values: dict[str, Any]) -> InstanceRow:
    values = {**values, "version": 1}
    values["id"] = session.connection().execute(_INSERT_INSTANCE, values).scalar_one()
    row = InstanceRow({k: values.get(k) for k in InstanceRow.columns})
    return row


def write_instance(session: Session, row: InstanceRow) -> None:
    """Write the row when it changed, bumping its version; StaleDataError when another writer got there
    first."""
    if not (row.touched or row.changed()):
        return
    params = {f"v_{k}": getattr(row, k) for k in _MUTABLE}
    params |= {"w_id": row.id, "w_version": row.version, "v_version": row.version + 1}
    if session.connection().execute(_WRITE_INSTANCE, params).rowcount != 1:
        raise StaleDataError(f"instance {row.id} was changed by another writer")
    row.version += 1
    row.__dict__["_written"] = row.values()
    row.touched = False


# -- inbox rows ------------------------------------------------------------------------------------------
def _candidates_text():
    tagged = func.coalesce("g" + CANDIDATE.c.group_id, "u" + CANDIDATE.c.username)
    return select(func.group_concat(tagged, _SEP)).where(CANDIDATE.c.human_task_id == TASK.c.id).scalar_subquery()


def _candidates(text: str | None) -> list[Candidate]:
    return [Candidate(group_id=item[1:]) if item[0] == "g" else Candidate(username=item[1:])
            for item in text.split(_SEP)] if text else []


_TASK_WITH_INSTANCE = (
    select(*TASK.columns, *(c.label(f"i_{c.key}") for c in INSTANCE.columns), _candidates_text().label("who"),
           select(func.group_concat(Membership.group_id, _SEP)).join(User)
           .where(User.username == bindparam("user")).scalar_subquery().label("groups"))
    .join_from(TASK, INSTANCE, INSTANCE.c.id == TASK.c.instance_id)
    .where(TASK.c.id == bindparam("task_id")))
_READ_TASK = select(TASK).where(TASK.c.id == bindparam("task_id"))
_READ_CANDIDATES = (select(CANDIDATE.c.human_task_id, CANDIDATE.c.group_id, CANDIDATE.c.username)
                    .where(CANDIDATE.c.human_task_id.in_(bindparam("ids", expanding=True)))
                    .order_by(CANDIDATE.c.id))


def _task_row(values: dict[str, Any], candidates: list[Candidate]) -> TaskRow:
    row = TaskRow({k: values[k] for k in TaskRow.columns})
    row.candidates = candidates
    return row


def task_with_instance(session: Session, task_id: int, user: str) -> tuple[TaskRow, InstanceRow, set[str]] | None:
    """SQLite's completion read, one statement: (task with its candidates, instance, the user's groups)."""
    found = session.connection().execute(_TASK_WITH_INSTANCE, {"task_id": task_id, "user": user}).mappings().first()
    if found is None:
        return None
    instance = InstanceRow({k: found[f"i_{k}"] for k in InstanceRow.columns})
    groups = set(found["groups"].split(_SEP)) if found["groups"] else set()
    return _task_row(found, _candidates(found["who"])), instance, groups


def _with_candidates(session: Session, found: list) -> list[TaskRow]:
    people: dict[int, list[Candidate]] = {r["id"]: [] for r in found}
    if people:
        for task_id, group_id, username in session.connection().execute(_READ_CANDIDATES, {"ids": list(people)}):
            people[task_id].append(Candidate(group_id, username))
    return [_task_row(r, people[r["id"]]) for r in found]


def read_task(session: Session, task_id: int) -> TaskRow | None:
    found = session.connection().execute(_READ_TASK, {"task_id": task_id}).mappings().all()
    rows = _with_candidates(session, found)
    return rows[0] if rows else None


def read_tasks(session: Session, *where) -> list[TaskRow]:
    """Inbox rows matching the conditions (on `TASK`'s columns), with their candidates."""
    found = session.connection().execute(select(TASK).where(*where).order_by(TASK.c.id)).mappings().all()
    return _with_candidates(session, found)


_CLOSE = (update(TASK).where(TASK.c.id == bindparam("task_id"))
          .values(status=bindparam("status"), completed_by=bindparam("by"), completed_at=bindparam("at"),
                  assignee=func.coalesce(TASK.c.assignee, bindparam("by"))))
_REOPEN = (update(TASK).where(TASK.c.id == bindparam("task_id"))
           .values(status="open", completed_by=None, completed_at=None))
_HOLD = update(TASK).where(TASK.c.id == bindparam("task_id")).values(held=bindparam("held"))
_ASSIGN = update(TASK).where(TASK.c.id == bindparam("task_id")).values(assignee=bindparam("who"))
_MARK = (update(CANDIDATE).where(CANDIDATE.c.human_task_id.in_(bindparam("ids", expanding=True)))
         .values(is_open=bindparam("is_open")))
_MARK_ONE = update(CANDIDATE).where(CANDIDATE.c.human_task_id == bindparam("task_id")).values(is_open=bindparam("is_open"))


def _mark(conn, task_ids: list[int], is_open: bool) -> None:
    """Keep `task_candidate.is_open` in step with the task's status (the inbox's partial indexes)."""
    if len(task_ids) == 1:  # the common case, without the expanding IN's per-call compilation
        conn.execute(_MARK_ONE, {"task_id": task_ids[0], "is_open": is_open})
    else:
        conn.execute(_MARK, {"ids": task_ids, "is_open": is_open})
_OPEN = insert(TASK).returning(TASK.c.id)
_ADD_CANDIDATES = insert(CANDIDATE)


def close_tasks(session: Session, closed: list[tuple[TaskRow, str, str | None]], at) -> None:
    """Close inbox rows: (row, status, completed_by) each; a completed task keeps its completer as assignee
    when it had none (the implicit claim)."""
    if not closed:
        return
    conn = session.connection()
    params = [{"task_id": row.id, "status": s, "by": by, "at": at} for row, s, by in closed]
    conn.execute(_CLOSE, params if len(params) > 1 else params[0])
    _mark(conn, [row.id for row, _s, _by in closed], False)
    for row, status, by in closed:
        row.status, row.completed_by, row.completed_at = status, by, at
        row.assignee = row.assignee or by


def reopen_tasks(session: Session, again: Iterable[TaskRow]) -> None:
    """Open closed inbox rows again (a failed submission's task, retried)."""
    again = list(again)
    if not again:
        return
    conn = session.connection()
    conn.execute(_REOPEN, [{"task_id": row.id} for row in again])
    _mark(conn, [row.id for row in again], True)
    for row in again:
        row.status, row.completed_by, row.completed_at = "open", None, None


def assign(session: Session, row: TaskRow, who: str | None) -> None:
    """Claim, release or hand over an open task."""
    session.connection().execute(_ASSIGN, {"task_id": row.id, "who": who})
    row.assignee = who


def hold(session: Session, row: TaskRow, held: str | None) -> None:
    """Mark a diagram task as waiting on its side tasks (consult, countersign, rework), or free it."""
    session.connection().execute(_HOLD, {"task_id": row.id, "held": held})
    row.held = held


def open_side_tasks(session: Session, of: Iterable[int]) -> list[TaskRow]:
    """The open side tasks waiting on these diagram tasks."""
    of = list(of)
    return read_tasks(session, TASK.c.side_of.in_(of), TASK.c.status == "open") if of else []


def open_task(session: Session, values: dict[str, Any], groups: list[str], users: list[str]) -> TaskRow:
    """Insert an inbox row and its candidates."""
    conn = session.connection()
    task_id = conn.execute(_OPEN, values).scalar_one()
    people = [{"human_task_id": task_id, "group_id": g, "username": None, "is_open": True} for g in groups]
    people += [{"human_task_id": task_id, "group_id": None, "username": u, "is_open": True} for u in users]
    if people:
        conn.execute(_ADD_CANDIDATES, people)
    return _task_row({**{k: None for k in TaskRow.columns}, **values, "id": task_id},
                     [Candidate(p["group_id"], p["username"]) for p in people])
