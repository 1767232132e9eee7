"""The engine's check problems, version changes and migration answers, worded for process owners.

The engine words these in English for logs; what a process owner reads is built here from the stable
parts (change kind, element id and name, before and after). The engine's sentence stays on the page
as a detail where it says more (a new path's ends, an added task's lane).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.changes import Change
from engine.errors import SpecProblem
from engine.versioning import FilePreview

from .present import group_name

# (group key, heading, change kinds) in the order the preview shows them.
GROUPS = (
    ("tasks", _l("Tasks added, removed or renamed"), {"added", "removed", "renamed"}),
    ("lanes", _l("Lanes"), {"lane_changed"}),
    ("conditions", _l("Conditions"), {"condition_changed"}),
    ("timers", _l("Timers"), {"timer_changed"}),
    ("forms", _l("Forms"), {"form_changed"}),
    ("services", _l("Scripts, service operators and called processes"),
     {"script_changed", "operator_changed", "call_changed"}),
    ("paths", _l("Paths"), {"flow_added", "flow_removed", "flow_rerouted"}),
)
OTHER = ("other", _l("Other changes"))
# Kinds whose plain sentence leaves out what the engine's own sentence says (type, lane, a path's ends).
DETAILED = {"added", "removed", "flow_added", "flow_removed", "flow_rerouted", "script_changed"}

# What kind of problem a check reason describes; the first pattern that matches wins.
PROBLEM_KINDS = (
    (re.compile(r"DOCTYPE|ENTITY"), _l("Forbidden DOCTYPE or entity declaration (XXE, entity expansion)")),
    (re.compile(r"^malformed XML"), _l("The file is not well-formed XML")),
    (re.compile(r"^not valid BPMN"), _l("Not valid BPMN 2.0")),
    (re.compile(r"^lane .* is not a known group"), _l("A lane is not a known group")),
    (re.compile(r"^form file"), _l("A form file is missing or invalid")),
    (re.compile(r"^expression refused"), _l("An expression or script is not allowed")),
    (re.compile(r"has no condition and is not the default"), _l("A gateway path has no condition and is not the default")),
    (re.compile(r"^timer value"), _l("A timer value is not valid ISO 8601")),
    (re.compile(r"^calls unknown process"), _l("Calls a process that is not deployed")),
    (re.compile(r"^unknown service operator"), _l("Unknown service operator")),
    (re.compile(r"^expected one executable process"), _l("A file must hold exactly one executable process")),
    (re.compile(r"^no decision"), _l("The DMN file holds no decision")),
)


@dataclass(frozen=True)
class ProblemLine:
    kind: str
    problem: SpecProblem


@dataclass(frozen=True)
class ChangeLine:
    sentence: str
    detail: str | None
    element_id: str
    waiting: int


def problem_lines(problems: list[SpecProblem]) -> list[ProblemLine]:
    out = []
    for problem in problems:
        kind = next((str(label) for pattern, label in PROBLEM_KINDS if pattern.search(problem.reason)),
                    _("The engine cannot run this file"))
        out.append(ProblemLine(kind, problem))
    return out


def _label(change: Change) -> str:
    return f"“{change.name}” ({change.element_id})" if change.name else change.element_id


def _lane(group_id: str | None) -> str:
    return f"{group_name(group_id)} ({group_id})" if group_id else _("(none)")


def sentence(change: Change) -> str:
    """One change in the reader's language."""
    label, none = _label(change), _("(none)")
    before, after = change.before or none, change.after or none
    words = {
        "added": lambda: _("Added: %(label)s", label=label),
        "removed": lambda: _("Removed: %(label)s", label=label),
        "renamed": lambda: _("%(id)s renamed from “%(before)s” to “%(after)s”", id=change.element_id,
                             before=change.before or "", after=change.after or ""),
        "lane_changed": lambda: _("%(label)s moved from lane %(before)s to lane %(after)s", label=label,
                                  before=_lane(change.before), after=_lane(change.after)),
        "form_changed": lambda: _("%(label)s now uses the form %(after)s instead of %(before)s", label=label,
                                  before=before, after=after),
        "timer_changed": lambda: _("%(label)s: timer changed from %(before)s to %(after)s", label=label,
                                   before=before, after=after),
        "script_changed": lambda: _("%(label)s: script changed", label=label),
        "operator_changed": lambda: _("%(label)s now calls the service operator %(after)s instead of %(before)s",
                                      label=label, before=before, after=after),
        "call_changed": lambda: _("%(label)s now calls the process %(after)s instead of %(before)s",
                                  label=label, before=before, after=after),
        "condition_changed": lambda: _("Condition on the path %(label)s changed from %(before)s to %(after)s",
                                       label=label, before=before, after=after),
        "flow_added": lambda: _("New path %(label)s", label=label),
        "flow_removed": lambda: _("Path %(label)s removed", label=label),
        "flow_rerouted": lambda: _("Path %(label)s now connects other elements", label=label),
    }
    word = words.get(change.kind)
    return word() if word else change.text


def grouped_changes(preview: FilePreview) -> list[tuple[str, str, list[ChangeLine]]]:
    """(key, heading, lines) per group that has changes, each line with the requests waiting there."""
    groups: dict[str, list[ChangeLine]] = {}
    for change in preview.changes:
        key = next((k for k, _h, kinds in GROUPS if change.kind in kinds), OTHER[0])
        groups.setdefault(key, []).append(ChangeLine(
            sentence(change), change.text if change.kind in DETAILED or key == OTHER[0] else None,
            change.element_id, preview.waiting_at.get(change.element_id, 0)))
    headings = [(k, str(h)) for k, h, _kinds in GROUPS] + [(OTHER[0], str(OTHER[1]))]
    return [(k, h, groups[k]) for k, h in headings if k in groups]


def affected_waiting(preview: FilePreview) -> int:
    """Requests waiting at an element this deployment changes."""
    return sum(preview.waiting_at.get(eid, 0) for eid in {c.element_id for c in preview.changes})


_IN_PROGRESS = re.compile(r"^in progress at (?P<names>.+), which the new version removes$")
_SUBPROCESS_GONE = re.compile(r"^the running subprocess (?P<name>.+) is missing from the new version$")


def migration_reason(can_move: bool, reason: str) -> str:
    """Why a request can or cannot move to the newest version."""
    if can_move:
        return _("Can move: every task in progress exists in the new version.")
    match = _IN_PROGRESS.match(reason)
    if match:
        return _("In progress at %(names)s, which the new version removes.", names=match["names"])
    match = _SUBPROCESS_GONE.match(reason)
    if match:
        return _("The running subprocess %(name)s is missing from the new version.", name=match["name"])
    return reason
