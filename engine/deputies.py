"""Out of office: a person names a deputy and the dates they are away (inclusive, in the company's time zone,
APP_TIMEZONE). While that is in force, new tasks offered to them by name go to the deputy, and so do their
reminders and mentions. One hop only: a deputy's own deputy is never asked, and nobody may name a deputy who
is away themselves at the same time, so there are no loops; a deputy who goes away later leaves the first
person's tasks with that person for the overlap (no chains)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .audit import SYSTEM_CHAIN
from .clock import company_zone
from .directory import SYSTEM_USER
from .errors import Conflict, EngineError, NotAllowed, NotFound
from .storage.models import Membership, OutOfOffice, User

MAX_DAYS = 366


@dataclass(frozen=True)
class Absence:
    username: str
    deputy: str
    starts_on: date
    ends_on: date
    set_by: str
    set_at: datetime

    @classmethod
    def of(cls, row: OutOfOffice) -> Absence:
        return cls(row.username, row.deputy, row.starts_on, row.ends_on, row.set_by, row.set_at)


def company_today(now: datetime) -> date:
    return now.astimezone(company_zone()).date()


# built once: every unit that opens a task asks it, so it skips the ORM and goes straight to the connection
_AWAY = select(OutOfOffice.username, OutOfOffice.deputy).where(OutOfOffice.starts_on <= bindparam("today"),
                                                                 OutOfOffice.ends_on >= bindparam("today"))


def deputies_now(session: Session, now: datetime) -> dict[str, str]:
    """Who is away today -> their deputy (one indexed read; usually nobody)."""
    return dict(session.connection().execute(_AWAY, {"today": company_today(now)}).all())


def hand_over(session: Session, users: set[str], groups: set[str], away: dict[str, str],
              initiator: str) -> tuple[set[str], list[str]]:
    """The users a new task is offered to once the absent are replaced by their deputies, and who was absent.
    A group task stays with the group; when every active member of the group is away, their deputies are
    offered it too (otherwise it would wait for nobody). A deputy who is away too (no chains) or who started
    the request (who may not approve it) leaves the task where it was."""
    covered = {u: d for u, d in away.items() if d not in away and d != initiator}
    if not covered:
        return users, []
    absent = sorted(u for u in users if u in covered)
    offered = {covered.get(u, u) for u in users}
    for group in sorted(groups):
        members = set(session.scalars(select(User.username).join(Membership)
                                      .where(Membership.group_id == group, User.active.is_(True))))
        if members and members <= set(covered):
            offered |= {covered[m] for m in members}
            absent += sorted(members - set(absent))
    return offered, absent


FOLLOW = ("reminder", "mention")  # the notifications that follow someone away to their deputy


def with_deputies(session: Session, notes: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Reminders and mentions for someone away also go to their deputy, saying for whom."""
    if not any(n.get("kind") in FOLLOW for n in notes):
        return notes
    away = deputies_now(session, now)
    followed = [n for n in notes if n.get("kind") in FOLLOW and n.get("to") in away and away[n["to"]] not in away]
    if not followed:
        return notes
    names = dict(session.execute(select(User.username, User.name)
                                 .where(User.username.in_({n["to"] for n in followed}))).all())
    return notes + [{**n, "to": away[n["to"]], "for": n["to"], "subject": f"（代 {names[n['to']]}）{n['subject']}"}
                    for n in followed]


def _active_user(session: Session, username: str, role: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"{role} {username} does not exist", f"{role}_unknown")
    if not user.active:
        raise EngineError(f"{role} {username} is inactive", f"{role}_inactive", username)
    return user


class DeputyVerbs:
    """Mixed into Engine; relies on its `_unit`, `session` and `now`."""

    def out_of_office(self, username: str) -> Absence | None:
        """The person's absence as set (past, present or future), or None."""
        with self.session() as s:
            row = s.get(OutOfOffice, username)
            return Absence.of(row) if row else None

    def set_out_of_office(self, username: str, deputy: str, starts_on: date, ends_on: date,
                          by: str | None = None) -> Absence:
        """Name a deputy for the days one is away; replaces what was set before."""
        by = by or username
        if by not in (username, SYSTEM_USER):
            raise NotAllowed(f"{by} may not set out of office for {username}", "not_self")
        if not isinstance(starts_on, date) or not isinstance(ends_on, date):
            raise EngineError("an absence needs a first and a last day", "dates_missing")
        if deputy == username:
            raise EngineError(f"{username} cannot be their own deputy", "deputy_self")
        if ends_on < starts_on:
            raise EngineError(f"the last day {ends_on} is before the first day {starts_on}", "dates_reversed")
        if (ends_on - starts_on).days >= MAX_DAYS:
            raise EngineError(f"an absence lasts at most {MAX_DAYS} days", "dates_too_long")

        def work(unit) -> Absence:
            s = unit.session
            _active_user(s, username, "user")
            _active_user(s, deputy, "deputy")
            if ends_on < company_today(unit.now):
                raise EngineError(f"the last day {ends_on} has passed", "dates_past")
            busy = s.get(OutOfOffice, deputy)
            if busy is not None and busy.starts_on <= ends_on and starts_on <= busy.ends_on:
                raise Conflict(f"{deputy} is away from {busy.starts_on} to {busy.ends_on} too", "deputy_away", deputy)
            row = s.get(OutOfOffice, username)
            if row is None:
                row = OutOfOffice(username=username)
                s.add(row)
            row.deputy, row.starts_on, row.ends_on, row.set_by, row.set_at = deputy, starts_on, ends_on, by, unit.now
            unit.audit.append(kind="out_of_office_set", actor=by, at=unit.now, chain=SYSTEM_CHAIN, data={
                "user": username, "deputy": deputy, "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat()})
            return Absence.of(row)
        return self._unit(by, work)

    def clear_out_of_office(self, username: str, by: str | None = None) -> bool:
        """Back in the office: new tasks come to oneself again; False when no absence was set."""
        by = by or username
        if by not in (username, SYSTEM_USER):
            raise NotAllowed(f"{by} may not clear out of office for {username}", "not_self")

        def work(unit) -> bool:
            row = unit.session.get(OutOfOffice, username)
            if row is None:
                return False
            unit.session.delete(row)
            unit.audit.append(kind="out_of_office_cleared", actor=by, at=unit.now, chain=SYSTEM_CHAIN,
                              data={"user": username, "deputy": row.deputy})
            return True
        return self._unit(by, work)
