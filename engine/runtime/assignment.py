"""Who may act on a task: lane = group id, `lane_owners` and `candidateVariable` override it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..errors import NotAllowed
from ..storage.models import HumanTask
from ..authoring.specs import start_event

INITIATOR_LANE = "initiator"


@dataclass(frozen=True)
class Candidates:
    groups: frozenset[str]
    users: frozenset[str]


def _split(entries: Iterable[str]) -> Candidates:
    groups, users = set(), set()
    for entry in entries:
        entry = str(entry)
        if entry.startswith("group:"):
            groups.add(entry[len("group:"):])
        elif entry:
            users.add(entry)
    return Candidates(frozenset(groups), frozenset(users))


def candidates_for(lane: str | None, properties: dict[str, Any], data: dict[str, Any],
                   initiator: str) -> Candidates:
    """The groups and users a READY task is offered to."""
    variable = properties.get("candidateVariable")
    if variable and data.get(variable):
        value = data[variable]
        return _split(value if isinstance(value, (list, tuple)) else [value])
    owners = data.get("lane_owners")
    if lane and isinstance(owners, dict) and owners.get(lane):
        return _split(owners[lane])
    if not lane or lane == INITIATOR_LANE:
        return Candidates(frozenset(), frozenset({initiator}))
    return Candidates(frozenset({lane}), frozenset())


def may_act(task: HumanTask, username: str, groups: set[str]) -> bool:
    """True when the user is the assignee, or the task is unassigned and offered to them."""
    if task.assignee:
        return task.assignee == username
    return any(c.username == username or (c.group_id and c.group_id in groups) for c in task.candidates)


def is_candidate(task: HumanTask, username: str, groups: set[str]) -> bool:
    return any(c.username == username or (c.group_id and c.group_id in groups) for c in task.candidates)


def start_lane(task) -> str | None:
    """The lane of the process's start event: the initiator's own lane."""
    return getattr(start_event(task.workflow.top_workflow.spec), "lane", None)


def is_self_approval(task: HumanTask, username: str, initiator: str, start_lane: str | None,
                     allow_self_approval: bool) -> bool:
    """True when the initiator would act on their own request outside the start lane."""
    own_lane = task.lane in (None, INITIATOR_LANE, start_lane)
    return username == initiator and not own_lane and not allow_self_approval


# Members of this group read everything and act on nothing, whatever other group they are in.
READ_ONLY_GROUP = "auditor"


def refusal(task: HumanTask, username: str, groups: set[str], initiator: str, start_lane: str | None,
            allow_self_approval: bool) -> NotAllowed | None:
    """Why the user may not complete (or claim) this task, or None when they may."""
    if READ_ONLY_GROUP in groups:
        return auditor_refusal(username)
    if not may_act(task, username, groups):
        if task.assignee and task.assignee != username:
            return NotAllowed(f"task {task.id} is assigned to {task.assignee}", "assigned_to", task.assignee)
        return NotAllowed(f"{username} is not among the people task {task.id} is offered to", "not_candidate")
    if is_self_approval(task, username, initiator, start_lane, allow_self_approval):
        return NotAllowed(f"{username} started this request and may not approve it (task {task.id})",
                          "self_approval", username)
    return None


def holders(task) -> list[str]:
    """Who has an open task: its assignee, else the groups (`group:<id>`) and users it is offered to (whom
    its notifications and reminders go to)."""
    if task.assignee:
        return [task.assignee]
    return ([f"group:{c.group_id}" for c in task.candidates if c.group_id]
            + [c.username for c in task.candidates if c.username])


def auditor_refusal(username: str) -> NotAllowed:
    return NotAllowed(f"{username} is an auditor: auditors read, they do not act", "auditor")


def require_actor(groups: set[str], username: str) -> None:
    """Auditors read everything and act on nothing: NotAllowed for them."""
    if READ_ONLY_GROUP in groups:
        raise auditor_refusal(username)
