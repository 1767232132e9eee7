"""催办: the applicant reminds whoever holds the request's open tasks, at most once every
APPROVALS_REMIND_HOURS (4) per task (counted from the audit chain, so every process sees the same limit)."""
from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import func, select

from ..audit import instance_chain
from ..errors import Conflict, NotAllowed
from ..storage import rows
from ..storage.models import AuditEvent
from ..runtime.assignment import holders, require_actor
from . import require_on, task_spec_of

REMIND_EVERY = timedelta(hours=float(os.environ.get("APPROVALS_REMIND_HOURS") or 4))


class ReminderVerbs:
    """Mixed into Engine; relies on its `_unit` and `_groups`."""

    def remind(self, instance_id: int, user: str) -> list[str]:
        """Remind the holders of the request's open tasks; returns who was reminded (users, `group:<id>`)."""
        def work(unit) -> list[str]:
            s = unit.session
            require_actor(self._groups(s, user), user)
            instance = unit.lock_instance(instance_id)
            if instance.started_by != user:
                raise NotAllowed(f"only the applicant may send reminders for instance {instance_id}", "not_initiator")
            if instance.status != "running":
                raise Conflict(f"instance {instance_id} is {instance.status}: nothing waits", "instance_ended")
            require_on(unit, instance, "remind")
            open_rows = rows.read_tasks(s, rows.TASK.c.instance_id == instance_id, rows.TASK.c.status == "open")
            if not open_rows:
                raise Conflict(f"instance {instance_id} waits for nobody now", "nobody_waits")
            spec, subs = unit.specs.get(s, instance.definition_id, instance.dependency_ids)
            last = dict(s.execute(select(AuditEvent.task_guid, func.max(AuditEvent.at)).where(
                AuditEvent.chain == instance_chain(instance_id), AuditEvent.kind == "reminded")
                .group_by(AuditEvent.task_guid)).all())
            reminded: list[str] = []
            waits = []
            for row in open_rows:
                if row.held:  # its holder waits on others (加签, rework): they are the ones reminded
                    continue
                task_spec = task_spec_of(spec, subs, row.bpmn_id)
                require_on(unit, instance, "remind", task_spec)
                since = last.get(row.task_guid)
                if since is not None and unit.now - since < REMIND_EVERY:
                    waits.append(since + REMIND_EVERY)
                    continue
                to = holders(row)
                unit.record(instance, "reminded", task_guid=row.task_guid, bpmn_id=row.bpmn_id,
                            data={"title": row.title, "to": to})
                for who in to:
                    unit.notifications.append({"kind": "reminder",
                                               "to": who, "subject": f"催办：{row.title}",
                                               "body": f"“{instance.title}”的申请人催您办理“{row.title}”。",
                                               "at": unit.now.isoformat()})
                reminded += to
            if not reminded and not waits:
                raise Conflict(f"instance {instance_id} waits for nobody now", "nobody_waits")
            if not reminded:
                raise Conflict(f"reminded less than {REMIND_EVERY} ago; again after {min(waits).isoformat()}",
                               "reminded_recently", min(waits).isoformat())
            unit.announce(instance)
            return list(dict.fromkeys(reminded))
        return self._unit(user, work)

