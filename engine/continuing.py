"""Instances moving on without a person acting: due timers, steps a request left to the worker, a stopped
step run again, instances an old restart bug left waiting, and the mail outbox."""
from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy import select

from . import mail
from .clock import as_utc
from .directory import SYSTEM_USER
from .errors import Conflict, NotFound
from .runtime import runner
from .runtime.repair import resume_unmerged
from .storage import rows
from .storage.models import ProcessInstance
from .storage.unit import Unit
from .views import InstanceView

# the step budget: how long a request (or one worker round on an instance) runs engine steps before it
# saves and leaves the rest to the worker (see docs/DECISIONS.md, "Long work leaves the request")
REQUEST_STEP_SECONDS = float(os.environ.get("APPROVALS_REQUEST_STEP_SECONDS") or 2.0)
WORKER_STEP_SECONDS = float(os.environ.get("APPROVALS_WORKER_STEP_SECONDS") or 30.0)


class ContinuationVerbs:
    """Mixed into Engine (`_unit`, `_require_owner`, `locking`, `now` come from it)."""

    def retry(self, instance_id: int, user: str, data: dict[str, Any] | None = None,
              upgrade: bool = False) -> InstanceView:
        """Run a failed step again, optionally with corrected data or on the newest definition."""
        def work(unit: Unit) -> InstanceView:
            s = unit.session
            instance = unit.lock_instance(instance_id)
            self._require_owner(s, user)
            if instance.status != "error":
                raise Conflict(f"instance {instance_id} is not in error", "not_in_error")
            workflow = unit.load(instance)
            if upgrade:
                workflow = self.upgrade_in_place(unit, instance, workflow)
            reopened = [str(t.id) for t in runner.reset_errors(workflow, data, instance.error_element)
                        if t.task_spec.manual]
            if reopened:  # its inbox row was closed with the submission that failed: open it again
                again = rows.read_tasks(s, rows.TASK.c.task_guid.in_(reopened))
                rows.reopen_tasks(s, again)
                unit.known_rows.update({row.task_guid: row for row in again})
                unit.open_before[instance.id] |= set(reopened)
            stalled = runner.stalled_tasks(workflow, instance.error_element, data)
            unit.record(instance, "retried", data={"data": data or {}, "upgrade": upgrade,
                                                   "version": instance.definition_version})
            result = runner.run(workflow, unit.now, wake=stalled, seconds=REQUEST_STEP_SECONDS,
                                write_locked=unit.holds_write_lock)
            unit.save(instance, workflow, result)
            return InstanceView.of(instance)
        return self._unit(user, work)

    def repair(self, instance_id: int | None = None) -> list[int]:
        """Resume running instances that an earlier version's restart bug left waiting on nothing (a loop
        or multi-instance parent that missed its child's completion); returns the instances repaired."""
        with self.session() as s:
            stmt = select(ProcessInstance.id).where(ProcessInstance.status == "running")
            if instance_id is not None:
                stmt = stmt.where(ProcessInstance.id == instance_id)
            candidates = list(s.scalars(stmt.order_by(ProcessInstance.id)))

        def work(unit: Unit, candidate: int) -> bool:
            instance = unit.lock_instance(candidate)
            if instance.status != "running":
                return False
            workflow = unit.load(instance)
            resumed = resume_unmerged(workflow)
            if not resumed:
                return False
            unit.record(instance, "repaired", actor=SYSTEM_USER, data={"resumed": resumed})
            unit.save(instance, workflow, runner.run(workflow, unit.now))
            return True
        return [c for c in candidates if self._unit(SYSTEM_USER, lambda unit, c=c: work(unit, c))]

    def deliver_mail(self, settings: mail.SmtpSettings) -> int:
        """Send queued mail through the SMTP server; returns how many messages went out."""
        return self._unit("engine", lambda unit: mail.deliver(unit.session, settings, unit.now))

    def fire_due_timers(self, now: datetime | None = None, limit: int = 100) -> int:
        """Run every instance whose earliest timer is due; returns how many instances ran."""
        now = as_utc(now or self.now())
        fired = 0
        with self.Session() as s:
            stmt = (select(ProcessInstance.id).where(ProcessInstance.status == "running",
                                                     ProcessInstance.next_timer_at <= now)
                    .order_by(ProcessInstance.next_timer_at).limit(limit))
            due = list(s.scalars(stmt))
        for instance_id in due:
            if self._fire(instance_id, now):
                fired += 1
        return fired + self.fire_scheduled_starts(now, limit)

    def _fire(self, instance_id: int, now: datetime) -> bool:
        return self._advance(instance_id, now, WORKER_STEP_SECONDS, wait=False)

    def _advance(self, instance_id: int, now: datetime, seconds: float, wait: bool, actor: str = "engine") -> bool:
        """Run a running instance whose timer is due or whose steps were left to the worker, for at most
        `seconds` of steps. `wait=False` (the worker) skips an instance another unit holds."""
        def work(unit: Unit) -> bool:
            try:
                instance = unit.lock_instance(instance_id, skip_locked=not wait)
            except NotFound:
                return False
            if instance is None or instance.status != "running" or not instance.next_timer_at \
                    or as_utc(instance.next_timer_at) > unit.now:
                return False
            workflow = unit.load(instance)
            result = runner.run(workflow, unit.now, seconds=seconds, write_locked=unit.holds_write_lock)
            unit.save(instance, workflow, result)
            return True
        try:
            return self._unit(actor, work, now=now)
        except Conflict:
            return False
