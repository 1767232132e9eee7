"""Comments on a request: kept in its audit chain (never edited; a correction is a new comment), shown in its
timeline, exported with the audit. `@name` (a login or a display name) mentions a colleague: they are told
and may read the request from then on."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from ..errors import FieldError, FormInvalid, NotAllowed
from ..storage.models import InstanceReader, User
from ..runtime.assignment import require_actor
from . import require_on

MAX_COMMENT = 2000
MENTION = re.compile(r"@([\w.\-\u3400-\u9fff]{1,80})")


@dataclass(frozen=True)
class Comment:
    instance_id: int
    by: str
    at: datetime
    text: str
    mentions: tuple[str, ...]


def mentioned(session, text: str) -> list[str]:
    """The active users a text mentions, by login or display name, in the order they appear."""
    names = list(dict.fromkeys(MENTION.findall(text)))
    if not names:
        return []
    found = {}
    for username, name in session.execute(select(User.username, User.name).where(
            User.active.is_(True), or_(User.username.in_(names), User.name.in_(names)))):
        found.setdefault(username, username)
        found.setdefault(name, username)
    return list(dict.fromkeys(found[n] for n in names if n in found))


class CommentVerbs:
    """Mixed into Engine; relies on its `_unit`, `_groups` and `may_read`."""

    def comment(self, instance_id: int, user: str, text: str) -> Comment:
        """Post a comment on a request the user may read."""
        text = (text or "").strip()
        if not text:
            raise FormInvalid([FieldError("text", "required", "a comment needs some text")])
        if len(text) > MAX_COMMENT:
            raise FormInvalid([FieldError("text", "maxLength", f"at most {MAX_COMMENT} characters", MAX_COMMENT)])
        if not self.may_read(user, instance_id):
            raise NotAllowed(f"{user} may not read instance {instance_id}", "not_reader")

        def work(unit) -> Comment:
            require_actor(self._groups(unit.session, user), user)
            instance = unit.lock_instance(instance_id)
            require_on(unit, instance, "comments")
            mentions = tuple(m for m in mentioned(unit.session, text) if m != user)
            unit.record(instance, "commented", data={"text": text, "mentions": list(mentions)})
            for who in mentions:
                unit.session.add(InstanceReader(instance_id=instance_id, username=who, reason="mentioned",
                                                added_by=user, added_at=unit.now))
                unit.notifications.append({"kind": "mention",
                                           "to": who, "subject": f"有人在“{instance.title}”中提到了您",
                                           "body": text, "at": unit.now.isoformat()})
            unit.announce(instance)
            return Comment(instance_id, user, unit.now, text, mentions)
        return self._unit(user, work)
