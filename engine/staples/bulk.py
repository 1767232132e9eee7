"""批量审批: a manager approves several similar tasks at once, where the task allows it (the property
`bulk` = `on` on the user task). Each task is its own completion (its own unit, checks and audit line);
one refused task does not stop the others, and each answer says what happened."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..errors import EngineError, NotAllowed
from ..runtime.projection import task_properties
from ..storage.models import HumanTask, ProcessInstance
from . import task_spec_of

MAX_BULK = 100


@dataclass(frozen=True)
class BulkResult:
    task_id: int
    ok: bool
    instance_id: int | None = None
    reason: str | None = None   # the refusal's code when not ok
    message: str = ""


class BulkVerbs:
    """Mixed into Engine; relies on its `session`, `specs` and `complete`."""

    def bulk_allowed(self, task_ids) -> set[int]:
        """Those of the tasks whose step allows approving several at once."""
        ids = list(task_ids)[:1000]
        if not ids:
            return set()
        with self.session() as s:
            found = s.execute(select(HumanTask.id, HumanTask.bpmn_id, ProcessInstance.definition_id,
                                     ProcessInstance.dependency_ids)
                              .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                              .where(HumanTask.id.in_(ids), HumanTask.side_of.is_(None), HumanTask.held.is_(None))).all()
            allowed = set()
            for task_id, bpmn_id, definition_id, deps in found:
                spec, subs = self.specs.get(s, definition_id, deps)
                if _allows_bulk(spec, subs, bpmn_id):
                    allowed.add(task_id)
            return allowed

    def complete_many(self, task_ids: list[int], user: str, data: dict[str, Any]) -> list[BulkResult]:
        """Complete each task with the same data (say `{"decision": "approve"}`), where its step allows it."""
        ids = list(dict.fromkeys(task_ids))[:MAX_BULK]
        allowed = self.bulk_allowed(ids)
        results = []
        for task_id in ids:
            try:
                if task_id not in allowed:
                    raise NotAllowed(f"task {task_id} is not approved in bulk", "not_bulk")
                view = self.complete(task_id, user, dict(data))
                results.append(BulkResult(task_id, True, view.id))
            except EngineError as exc:
                results.append(BulkResult(task_id, False, None, exc.reason or exc.code, exc.message))
        return results



def _allows_bulk(spec, subprocess_specs, bpmn_id: str) -> bool:
    found = task_spec_of(spec, subprocess_specs, bpmn_id)
    return found is not None and str(task_properties(found).get("bulk", "")).strip().lower() == "on"
