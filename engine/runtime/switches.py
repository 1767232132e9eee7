"""The office staples (comments, withdraw, remind, copy, return, attachments, addSigners) are on for every
procedure; a process owner turns one off in the BPMN with a property valued `off`: on the start event for the
whole process, on a user task for that task (`<spiffworkflow:property name="remind" value="off"/>`)."""
from __future__ import annotations

from .projection import task_properties

STAPLES = ("comments", "withdraw", "remind", "copy", "return", "attachments", "addSigners")


def is_on(staple: str, *specs) -> bool:
    """False when any of the given task specs (the start event, a task) says `<staple>` = off."""
    if staple not in STAPLES:
        raise ValueError(f"unknown staple {staple!r}")
    return not any(str(task_properties(spec).get(staple, "")).strip().lower() == "off" for spec in specs if spec)
