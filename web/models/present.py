"""The engine's check problems, version changes and migration answers, worded for process owners.

The engine words these in English for logs; what a process owner reads is built here from the stable
parts (change kind, element id and name, before and after). The engine's sentence stays on the page
as a detail where it says more (a new path's ends, an added task's lane).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine import Change
from engine import SpecProblem
from engine import FilePreview

from ..present import group_name

# (group key, heading, change kinds) in the order the preview shows them.
GROUPS = (
    ("tasks", _l("Tasks added, removed or renamed"), {"added", "removed", "renamed"}),
    ("lanes", _l("Lanes"), {"lane_changed"}),
    ("conditions", _l("Conditions"), {"condition_changed"}),
    ("timers", _l("Timers"), {"timer_changed"}),
    ("forms", _l("Forms"), {"form_changed", "form_field_added", "form_field_removed", "form_field_changed"}),
    ("services", _l("Scripts, service operators and called processes"),
     {"script_changed", "operator_changed", "call_changed"}),
    ("paths", _l("Paths"), {"flow_added", "flow_removed", "flow_rerouted"}),
)
OTHER = ("other", _l("Other changes"))
# Kinds whose plain sentence leaves out what the engine's own sentence says (type, lane, a path's ends).
DETAILED = {"added", "removed", "flow_added", "flow_removed", "flow_rerouted", "script_changed", "form_field_added",
            "form_field_changed"}

# What kind of problem the engine's check found, by its stable code.
PROBLEM_KINDS = {
    "doctype": _l("Forbidden DOCTYPE or entity declaration (XXE, entity expansion)"),
    "malformed": _l("The file is not well-formed XML"),
    "schema": _l("Not valid BPMN 2.0"),
    "unknown_lane": _l("A lane is not a known group"),
    "form": _l("A form file is missing or invalid"),
    "expression": _l("An expression or script is not allowed"),
    "gateway": _l("A gateway path has no condition and is not the default"),
    "timer": _l("A timer value is not valid ISO 8601"),
    "unknown_call": _l("Calls a process that is not deployed"),
    "unknown_operator": _l("Unknown service operator"),
    "process_count": _l("The file holds no executable process"),
    "unnamed_lane": _l("A lane has no name"),
    "unsupported": _l("An element the engine does not run"),
    "recursive_call": _l("A process calls itself"),
    "no_decision": _l("The DMN file holds no decision"),
    "dmn_hit_policy": _l("A hit policy the engine does not run"),
    "dmn_type": _l("A column has an unknown type"),
    "dmn_cells": _l("A rule has too many or too few cells"),
    "dmn_overlap": _l("Rules of a UNIQUE table overlap"),
    "dmn_gap": _l("A UNIQUE table leaves inputs without a rule"),
}


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
        label = PROBLEM_KINDS.get(problem.code)
        kind = str(label) if label else _("The engine cannot run this file")
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
        "form_field_added": lambda: _("Form %(form)s: new field “%(field)s” (%(title)s)", form=change.element_id,
                                      field=change.name, title=change.after or change.name),
        "form_field_removed": lambda: _("Form %(form)s: field “%(field)s” (%(title)s) removed", form=change.element_id,
                                        field=change.name, title=change.before or change.name),
        "form_field_changed": lambda: _("Form %(form)s: field “%(field)s” changed", form=change.element_id,
                                        field=change.name),
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


def migration_reason(check) -> str:
    """Why a request can or cannot move to the newest version, from the engine's code."""
    names = "、".join(check.names)
    if check.code == "can_move":
        return _("Can move: every task in progress exists in the new version.")
    if check.code == "task_removed":
        return _("In progress at %(names)s, which the new version removes.", names=names)
    if check.code == "subprocess_missing":
        return _("The running subprocess %(name)s is missing from the new version.", name=names)
    return check.reason


def _conditions(rule, labels: dict[str, str], columns: list[str]) -> str:
    parts = []
    for expression, cell in zip(columns, rule.cells):
        cell = cell.strip()
        if cell in ("", "-"):
            continue
        joiner = " " if cell[:1] in "<>=!" else " = "
        parts.append(f"{labels.get(expression, expression)}{joiner}{cell}")
    return _(" and ").join(parts) if parts else _("any input")


def _values(values) -> str:
    if values is None:
        return _("no result")
    if values and isinstance(values[0], tuple):  # COLLECT: every matching rule's outputs
        return "；".join(", ".join(v) for v in values) or _("no result")
    return ", ".join(values)


def decision_sentence(change, columns: list[str]) -> str:
    """One change of a decision table in the reader's language."""
    labels, rule = change.labels, change.rule
    if change.kind == "rule_added":
        return _("Rule %(number)d added: when %(when)s, the result is %(result)s", number=rule.number,
                 when=_conditions(rule, labels, columns), result=_values(rule.outputs))
    if change.kind == "rule_removed":
        return _("Rule %(number)d removed (when %(when)s, the result was %(result)s)", number=rule.number,
                 when=_conditions(rule, labels, columns), result=_values(rule.outputs))
    if change.kind == "rule_changed":
        return _("Rule %(number)d: when %(before)s → %(result_before)s is now when %(after)s → %(result_after)s",
                 number=rule.number, before=_conditions(change.before, labels, columns),
                 result_before=_values(change.before.outputs), after=_conditions(change.after, labels, columns),
                 result_after=_values(change.after.outputs))
    if change.kind == "result_changed":
        inputs = ", ".join(f"{labels.get(k, k)} = {v!r}" for k, v in change.inputs.items())
        return _("With %(inputs)s the result changes from %(before)s to %(after)s", inputs=inputs,
                 before=_values(change.before), after=_values(change.after))
    if change.kind == "hit_policy_changed":
        return _("Hit policy changed from %(before)s to %(after)s", before=change.before, after=change.after)
    if change.kind in ("input_added", "output_added"):
        return _("New column: %(name)s", name=change.after)
    return _("Column removed: %(name)s", name=change.before)


def decision_lines(preview: FilePreview) -> list[tuple[str, str]]:
    """(decision name, sentence) per change of a DMN file: the table's shape, its rules, then the inputs
    that now get another result."""
    order = {"hit_policy_changed": 0, "input_added": 1, "input_removed": 1, "output_added": 1, "output_removed": 1,
             "rule_added": 2, "rule_removed": 2, "rule_changed": 2, "result_changed": 3}
    return [(c.decision_name, decision_sentence(c, list(c.labels)))  # labels: the input columns first, in order
            for c in sorted(preview.decision_changes, key=lambda c: order.get(c.kind, 9))]
