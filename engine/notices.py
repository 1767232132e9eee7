"""The in-app notification centre: every notification the engine sends (a procedure's notify step, a
mention, a reminder, a copy, a return) also lands here for each person it reaches (a group's notification
for each of its active members), whether or not mail is configured; read and unread per person."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from .errors import NotFound
from .storage.models import Membership, Notice, User


@dataclass(frozen=True)
class NoticeView:
    id: int
    instance_id: int | None
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


def deliver(session: Session, notes: list[dict[str, Any]], instance_id: int | None, now: datetime) -> None:
    """One notice row per person each note reaches (`group:<id>`: its active members), in one statement."""
    rows = []
    for note in notes:
        to = str(note.get("to") or "")
        if to.startswith("group:"):
            people = session.scalars(select(User.username).join(Membership, Membership.user_id == User.id)
                                     .where(Membership.group_id == to[len("group:"):], User.active.is_(True)))
        else:
            people = [to] if to else []
        rows += [dict(username=p, instance_id=instance_id, subject=str(note.get("subject") or "")[:300],
                      body=str(note.get("body") or ""), created_at=now) for p in people]
    if rows:
        session.connection().execute(insert(Notice.__table__), rows)


class NoticeReads:
    """Mixed into Engine; relies on its `session` and `_unit`."""

    def notices(self, user: str, limit: int = 50, before: int | None = None) -> list[NoticeView]:
        """The user's notifications, newest first (keyset: `before`)."""
        stmt = select(Notice).where(Notice.username == user)
        if before is not None:
            stmt = stmt.where(Notice.id < before)
        with self.session() as s:
            return [NoticeView(n.id, n.instance_id, n.subject, n.body, n.created_at, n.read_at)
                    for n in s.scalars(stmt.order_by(Notice.id.desc()).limit(limit))]

    def unread_notices(self, user: str) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(Notice).where(
                Notice.username == user, Notice.read_at.is_(None))) or 0

    def mark_notices_read(self, user: str, ids: list[int] | None = None) -> int:
        """Mark the user's notifications read (all of them when `ids` is None); returns how many changed."""
        def work(unit) -> int:
            stmt = update(Notice).where(Notice.username == user, Notice.read_at.is_(None)).values(read_at=unit.now)
            if ids is not None:
                stmt = stmt.where(Notice.id.in_(ids))
            return unit.session.execute(stmt).rowcount or 0
        return self._unit(user, work)

    def open_notice(self, user: str, notice_id: int) -> NoticeView:
        """One of the user's notifications, marked read (NotFound for anyone else's)."""
        def work(unit) -> NoticeView:
            n = unit.session.scalars(select(Notice).where(Notice.id == notice_id, Notice.username == user)).first()
            if n is None:
                raise NotFound(f"no notification {notice_id} for {user}")
            if n.read_at is None:
                n.read_at = unit.now
            return NoticeView(n.id, n.instance_id, n.subject, n.body, n.created_at, n.read_at)
        return self._unit(user, work)
