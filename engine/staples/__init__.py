"""What people expect of any approval system, for every procedure without editing its diagram: comments with
@mentions, withdrawing a request nobody has acted on, reminding whoever holds it, copying it to others
(抄送), files attached to it (附件), sending it back (退回), asking others before or after deciding (加签).
Each is an audited, permission-checked verb; a process owner turns one off per process or per task
(engine.runtime.switches)."""
from __future__ import annotations

from ..authoring.specs import start_event
from ..errors import NotAllowed
from ..runtime.switches import is_on
from ..storage.rows import InstanceRow

STAPLE_WORDS = {"comments": "comments", "withdraw": "withdrawing", "remind": "reminders", "copy": "copies",
                "return": "returns", "attachments": "attachments", "addSigners": "added signers"}


def require_on(unit, instance: InstanceRow, staple: str, task_spec=None) -> None:
    """NotAllowed when the process (its start event) or the task turned the staple off."""
    spec, _subs = unit.specs.get(unit.session, instance.definition_id, instance.dependency_ids)
    if not is_on(staple, start_event(spec), task_spec):
        raise NotAllowed(f"{STAPLE_WORDS[staple]} are turned off for this process", "staple_off")


def task_spec_of(spec, subprocess_specs, bpmn_id: str):
    """The task spec of a BPMN element in a process or the subprocesses it uses, or None."""
    for candidate in (spec, *subprocess_specs.values()):
        found = next((t for t in candidate.task_specs.values() if getattr(t, "bpmn_id", None) == bpmn_id), None)
        if found is not None:
            return found
    return None
