"""Who may read a request, in one place for the web, the API and the command line: its applicant, process
owners and auditors, everyone offered, holding or having done one of its tasks, the people it was copied to
or who were mentioned in it, and the managers who oversee one of those groups (engine.team)."""
from __future__ import annotations

from sqlalchemy import or_, select

from .errors import NotFound
from .runtime.assignment import READ_ONLY_GROUP
from .storage.models import HumanTask, InstanceReader, ProcessInstance, TaskCandidate

SEE_ALL_GROUPS = (READ_ONLY_GROUP, "process_owner")


class AccessReads:
    """Mixed into Engine; relies on its `session`, `_groups` and `oversees_instance`."""

    def may_read(self, user: str, instance_id: int) -> bool:
        """Whether the user may read the request (NotFound when there is no such request)."""
        with self.session() as s:
            applicant = s.scalar(select(ProcessInstance.started_by).where(ProcessInstance.id == instance_id))
            if applicant is None:
                raise NotFound(f"instance {instance_id} does not exist")
            groups = self._groups(s, user)
            if applicant == user or groups & set(SEE_ALL_GROUPS):
                return True
            offered = select(TaskCandidate.human_task_id).where(
                or_(TaskCandidate.username == user, TaskCandidate.group_id.in_(groups or {""})))
            involved = select(HumanTask.id).where(
                HumanTask.instance_id == instance_id,
                or_(HumanTask.assignee == user, HumanTask.completed_by == user, HumanTask.id.in_(offered)))
            if s.scalar(involved.limit(1)) is not None:
                return True
            reader = select(InstanceReader.instance_id).where(
                InstanceReader.instance_id == instance_id,
                or_(InstanceReader.username == user, InstanceReader.group_id.in_(groups or {""})))
            if s.scalar(reader.limit(1)) is not None:
                return True
        return self.oversees_instance(user, instance_id)
