"""抄送: the applicant or anyone working on a request copies it to people or groups: they are told, may read
it, and find it in their "copied to me" list."""
from __future__ import annotations

from sqlalchemy import or_, select

from ..errors import NotAllowed, NotFound
from ..keyset import KeysetPage, read_page
from ..runtime.projection import task_properties
from ..storage.models import Group, InstanceReader, ProcessInstance, User
from ..views import InstanceView
from ..runtime.assignment import require_actor
from . import require_on

MAX_COPIES = 50


def declared_copies(start_spec) -> list[str]:
    """The copies a process makes of every request (`copyTo` on its start event: logins and `group:<id>`,
    separated by commas)."""
    text = str(task_properties(start_spec).get("copyTo") or "") if start_spec else ""
    return [t.strip() for t in text.split(",") if t.strip()]


def add_copies(unit, instance, by: str, wanted: list[str], note: str = "") -> list[str]:
    """Copy the request to the users and groups named (NotFound for unknown ones); returns those newly
    copied, each told, the copy audited."""
    s = unit.session
    wanted = list(dict.fromkeys(t.strip() for t in wanted if t and t.strip()))[:MAX_COPIES]
    if not wanted:
        return []
    users = {u for u in wanted if not u.startswith("group:")}
    groups = {g[len("group:"):] for g in wanted if g.startswith("group:")}
    known_users = set(s.scalars(select(User.username).where(User.username.in_(users), User.active.is_(True))))
    known_groups = set(s.scalars(select(Group.id).where(Group.id.in_(groups))))
    unknown = sorted((users - known_users) | {f"group:{g}" for g in groups - known_groups})
    if unknown:
        raise NotFound(f"no such user or group: {', '.join(unknown)}")
    have = set(s.execute(select(InstanceReader.username, InstanceReader.group_id).where(
        InstanceReader.instance_id == instance.id, InstanceReader.reason == "copied")).all())
    added = []
    for entry in wanted:
        key = (None, entry[len("group:"):]) if entry.startswith("group:") else (entry, None)
        if key in have:
            continue
        s.add(InstanceReader(instance_id=instance.id, username=key[0], group_id=key[1], reason="copied",
                             added_by=by, added_at=unit.now))
        unit.notifications.append({"kind": "copy",
                                   "to": entry, "subject": f"抄送：{instance.title}",
                                   "body": note or f"“{instance.title}”已抄送给您，供知悉。", "at": unit.now.isoformat()})
        added.append(entry)
    if added:
        unit.record(instance, "copied", actor=by, data={"to": added, "note": note})
        unit.announce(instance)
    return added


class CopyVerbs:
    """Mixed into Engine; relies on its `_unit`, `_groups`, `session` and `may_read`."""

    def copy_to(self, instance_id: int, user: str, to: list[str], note: str = "") -> list[str]:
        """Copy a request to users (logins) and groups (`group:<id>`); returns those newly copied."""
        wanted = list(dict.fromkeys(t.strip() for t in to if t and t.strip()))[:MAX_COPIES]
        if not wanted:
            return []
        if not self.may_read(user, instance_id):
            raise NotAllowed(f"{user} may not read instance {instance_id}", "not_reader")

        def work(unit) -> list[str]:
            require_actor(self._groups(unit.session, user), user)
            instance = unit.lock_instance(instance_id)
            require_on(unit, instance, "copy")
            return add_copies(unit, instance, user, wanted, note)
        return self._unit(user, work)

    def _copied_stmt(self, s, user: str):
        groups = self._groups(s, user)
        ids = select(InstanceReader.instance_id).where(
            InstanceReader.reason == "copied",
            or_(InstanceReader.username == user, InstanceReader.group_id.in_(groups or {""})))
        return select(ProcessInstance).where(ProcessInstance.id.in_(ids))

    def copied_to_me(self, user: str, limit: int = 100, before: int | None = None) -> list[InstanceView]:
        """Requests copied to the user or one of their groups, newest first (keyset: `before`)."""
        with self.session() as s:
            stmt = self._copied_stmt(s, user)
            if before is not None:
                stmt = stmt.where(ProcessInstance.id < before)
            stmt = stmt.order_by(ProcessInstance.id.desc()).limit(limit)
            return [InstanceView.of(r) for r in s.scalars(stmt)]

    def copied_page(self, user: str, size: int, after: int | None = None, before: int | None = None) -> KeysetPage:
        """One keyset page of `copied_to_me` (`after` / `before`: the id ending / starting the neighbouring
        page)."""
        with self.session() as s:
            return read_page(s, self._copied_stmt(s, user), ProcessInstance.id, (ProcessInstance.id,), size,
                             after, before, descending=True, count=False, convert=InstanceView.of)
