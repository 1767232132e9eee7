"""撤回: the applicant takes back a request nobody else has acted on yet (no one has decided, claimed, handed
over or released one of its tasks); it ends with the outcome `withdrawn`, audited with the reason."""
from __future__ import annotations

from sqlalchemy import select

from ..audit import instance_chain
from ..directory import SYSTEM_USER
from ..errors import Conflict, NotAllowed
from ..storage.models import AuditEvent, ProcessInstance
from ..views import InstanceView
from ..runtime.assignment import require_actor
from . import require_on

ACTS = ("completed", "claimed", "delegated", "released", "signers_added", "opinion_given", "countersigned",
        "reworked")


def first_act(session, instance_id: int, applicant: str) -> AuditEvent | None:
    """The first thing someone other than the applicant did on the request, if anyone did."""
    return session.scalars(select(AuditEvent).where(
        AuditEvent.chain == instance_chain(instance_id), AuditEvent.kind.in_(ACTS),
        AuditEvent.actor.not_in((applicant, "engine", SYSTEM_USER))).order_by(AuditEvent.seq).limit(1)).first()


class WithdrawalVerbs:
    """Mixed into Engine; relies on its `_unit`, `_groups` and `session`."""

    def withdrawable(self, instance_id: int, user: str) -> bool:
        """Whether `withdraw` would accept now (for showing the button; the verb checks again)."""
        with self.session() as s:
            found = s.execute(select(ProcessInstance.started_by, ProcessInstance.status)
                              .where(ProcessInstance.id == instance_id)).first()
            return (found is not None and found.started_by == user and found.status in ("running", "error")
                    and first_act(s, instance_id, user) is None)

    def withdraw(self, instance_id: int, user: str, reason: str = "") -> InstanceView:
        """End the user's own request before anyone else acts on it (outcome `withdrawn`)."""
        def work(unit) -> InstanceView:
            require_actor(self._groups(unit.session, user), user)
            instance = unit.lock_instance(instance_id)
            if instance.started_by != user:
                raise NotAllowed(f"only the applicant may withdraw instance {instance_id}", "not_initiator")
            if instance.status not in ("running", "error"):
                raise Conflict(f"instance {instance_id} is already {instance.status}", "instance_ended")
            require_on(unit, instance, "withdraw")
            acted = first_act(unit.session, instance_id, user)
            if acted is not None:
                raise Conflict(f"{acted.actor} has already acted on instance {instance_id}; it can only be "
                               "cancelled now", "someone_acted", acted.actor)
            workflow = unit.load(instance)
            workflow.cancel()
            unit.record(instance, "withdrawn", data={"reason": reason})
            unit.save(instance, workflow, cancelled_as="withdrawn")
            instance.next_timer_at = None
            return InstanceView.of(instance)
        return self._unit(user, work)
