"""Per-person channel preferences: notifications always arrive in the app; mail is on or off, and for which
events. The mail worker reads them when it sends, so a change applies to mail still queued."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select

from .audit import SYSTEM_CHAIN
from .directory import SYSTEM_USER
from .errors import EngineError, NotAllowed, NotFound
from .storage.models import NoticePreference, User

# The events a person chooses among; every notification the engine sends carries one of them, or
# `notice` (a procedure's own notification to someone else), which is mailed whenever mail is on.
EVENTS = ("task", "reminder", "copy", "mention", "outcome")


@dataclass(frozen=True)
class Preferences:
    username: str
    mail: bool
    events: tuple[str, ...]


def defaults(username: str) -> Preferences:
    """Everything on: what a person gets until they choose."""
    return Preferences(username, True, EVENTS)


def wants_mail(preferences: Preferences, kind: str | None) -> bool:
    return preferences.mail and (kind not in EVENTS or kind in preferences.events)


def _checked_events(events: Iterable[str]) -> tuple[str, ...]:
    events = list(events)
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise EngineError(f"unknown events {', '.join(map(str, unknown))}; known: {', '.join(EVENTS)}",
                          "unknown_event", str(unknown[0]))
    return tuple(e for e in EVENTS if e in events)


class PreferenceVerbs:
    """Mixed into Engine; relies on its `_unit` and `session`."""

    def notice_preferences(self, username: str) -> Preferences:
        with self.session() as s:
            row = s.get(NoticePreference, username)
            return Preferences(username, row.mail, tuple(row.events)) if row else defaults(username)

    def set_notice_preferences(self, username: str, mail: bool, events: Iterable[str],
                               by: str | None = None) -> Preferences:
        """Choose whether mail comes, and for which events (in the app everything arrives)."""
        by = by or username
        if by not in (username, SYSTEM_USER):
            raise NotAllowed(f"{by} may not change the notification settings of {username}", "not_self")
        if not isinstance(mail, bool):
            raise EngineError("mail is on (true) or off (false)", "bad_mail")
        chosen = _checked_events(events)

        def work(unit) -> Preferences:
            if unit.session.scalar(select(User.id).where(User.username == username)) is None:
                raise NotFound(f"user {username} does not exist")
            row = unit.session.get(NoticePreference, username)
            if row is None:
                row = NoticePreference(username=username)
                unit.session.add(row)
            row.mail, row.events, row.updated_at = mail, list(chosen), unit.now
            unit.audit.append(kind="notice_preferences_set", actor=by, at=unit.now, chain=SYSTEM_CHAIN,
                              data={"user": username, "mail": mail, "events": list(chosen)})
            return Preferences(username, mail, chosen)
        return self._unit(by, work)
