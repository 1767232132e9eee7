"""Decision tables (DMN) read the way SpiffWorkflow runs them, for the deploy check and the change preview.

A cell is Python joined to its column's input expression: `>= 3000000` under `annual_volume` tests
`annual_volume >= 3000000`, a bare value tests equality, `-` matches anything. SpiffWorkflow takes the
first matching rule (UNIQUE and FIRST alike) or, for COLLECT, every matching rule. The cells people write
are simple comparisons; for those this module knows which inputs each rule covers, and so can say where
two rules of a UNIQUE table both match, where none does, and which inputs a new version answers
differently. A cell it cannot read (any other Python) leaves those questions unanswered, never wrong.
"""
from __future__ import annotations

import ast
import itertools
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from lxml import etree

from .xmlsafe import parse_xml

HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")  # what SpiffWorkflow runs (UNIQUE as the first match)
TYPES = ("string", "number", "integer", "long", "double", "boolean", "date", "dateTime", "time", "")
MAX_POINTS = 5000   # sample combinations compared at most
OTHER = object()    # "any other value" of a text column

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
            "!=": operator.ne}
_CELL = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$")
_BETWEEN = re.compile(r"^\s*(.+?)\s*(<=|<)\s*\?\s*(<=|<)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    expression: str
    type: str


@dataclass(frozen=True)
class Rule:
    id: str
    number: int              # 1-based row, as the editor shows it
    description: str
    cells: tuple[str, ...]   # input entries, in column order
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    decision_id: str
    decision_name: str
    hit_policy: str
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]
    rules: tuple[Rule, ...]

    def label(self, expression: str) -> str:
        column = next((c for c in self.inputs if c.expression == expression), None)
        return column.label if column else expression


@dataclass(frozen=True)
class TableProblem:
    code: str          # dmn_hit_policy, dmn_type, dmn_overlap, dmn_gap, dmn_cells
    decision_id: str
    text: str
    rules: tuple[int, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleChange:
    """One difference between two versions of a decision: `kind` is rule_added, rule_removed, rule_changed,
    hit_policy_changed, input_added, input_removed, output_added, output_removed or result_changed (an
    input combination that now gets another result: `inputs`, `before`, `after`)."""

    kind: str
    decision_id: str
    decision_name: str
    rule: Rule | None = None
    before: Any = None
    after: Any = None
    inputs: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


# -- reading ---------------------------------------------------------------------------------------------
def read_tables(xml: str, filename: str = "decision.dmn") -> list[Table]:
    root, problems = parse_xml(xml.encode("utf-8"), filename)
    if root is None:
        raise ValueError(str(problems[0]))
    tables = []
    for decision in (e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "decision"):
        table = _child(decision, "decisionTable")
        if table is None:
            continue
        inputs = tuple(Column(i.get("id") or "", i.get("label") or "", _text(_child(i, "inputExpression")),
                              (_child(i, "inputExpression").get("typeRef") if _child(i, "inputExpression") is not None
                               else "") or "")
                       for i in _children(table, "input"))
        outputs = tuple(Column(o.get("id") or "", o.get("label") or o.get("name") or "", o.get("name") or "",
                               o.get("typeRef") or "") for o in _children(table, "output"))
        rules = tuple(Rule(r.get("id") or f"row{n}", n, _text(_child(r, "description")),
                           tuple(_text(e) for e in _children(r, "inputEntry")),
                           tuple(_text(e) for e in _children(r, "outputEntry")))
                      for n, r in enumerate(_children(table, "rule"), start=1))
        tables.append(Table(decision.get("id") or "", decision.get("name") or decision.get("id") or "",
                            (table.get("hitPolicy") or "UNIQUE").upper(), inputs, outputs, rules))
    return tables


def _children(node, local: str) -> list:
    return [c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == local]


def _child(node, local: str):
    found = _children(node, local)
    return found[0] if found else None


def _text(node) -> str:
    if node is None:
        return ""
    inner = _child(node, "text")
    return ((inner.text if inner is not None else node.text) or "").strip()


# -- cells as tests --------------------------------------------------------------------------------------
def _literal(text: str) -> Any:
    value = ast.literal_eval(text)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    raise ValueError(text)


def cell_test(cell: str) -> tuple[Callable[[Any], bool], list[Any]] | None:
    """(a test of one input value, the values where its answer changes) for a simple cell; None for any
    other Python."""
    text = cell.strip()
    if text in ("", "-"):
        return (lambda value: True), []
    try:
        between = _BETWEEN.match(text)
        if between:
            low, high = _literal(between.group(1)), _literal(between.group(4))
            first, second = _COMPARE[between.group(2)], _COMPARE[between.group(3)]
            return (lambda v: _safe(first, low, v) and _safe(second, v, high)), [low, high]
        compared = _CELL.match(text)
        if compared:
            op, bound = _COMPARE[compared.group(1)], _literal(compared.group(2))
            return (lambda v: _safe(op, v, bound)), [bound]
        value = _literal(text)
        return (lambda v: v == value), [value]
    except (ValueError, SyntaxError, TypeError):
        return None


def _safe(op, a, b) -> bool:
    try:
        return bool(op(a, b))
    except TypeError:
        return False


def _samples(values: list[Any]) -> list[Any]:
    """Values on both sides of every boundary a column's cells name, and one value none of them names."""
    numbers = sorted({v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)})
    texts = sorted({v for v in values if isinstance(v, str)})
    flags = sorted({v for v in values if isinstance(v, bool)})
    out: list[Any] = []
    if numbers:
        step = 1 if all(isinstance(n, int) for n in numbers) else 0.5
        out += sorted({x for n in numbers for x in (n - step, n, n + step)})
    out += texts + ([OTHER] if texts else []) + flags
    return out or [OTHER]


# -- evaluating ------------------------------------------------------------------------------------------
def _compiled(table: Table):
    tests = []
    for rule in table.rules:
        row = []
        for cell in rule.cells:
            test = cell_test(cell)
            if test is None:
                return None
            row.append(test)
        tests.append(row)
    return tests


def _points(tables: list[Table], compiled: list) -> list[dict[str, Any]] | None:
    columns: dict[str, list[Any]] = {}
    for table, tests in zip(tables, compiled):
        for index, column in enumerate(table.inputs):
            for row in tests:
                if index < len(row):
                    columns.setdefault(column.expression, []).extend(row[index][1])
    names = sorted(columns)
    values = [_samples(columns[n]) for n in names]
    total = 1
    for v in values:
        total *= len(v)
    if total > MAX_POINTS:
        return None
    return [dict(zip(names, combination)) for combination in itertools.product(*values)]


def _matches(table: Table, tests, point: dict[str, Any]) -> list[int]:
    found = []
    for rule, row in zip(table.rules, tests):
        if all(row[i][0](point.get(column.expression)) if point.get(column.expression) is not OTHER
               else _other_matches(rule.cells[i]) for i, column in enumerate(table.inputs) if i < len(row)):
            found.append(rule.number)
    return found


def _other_matches(cell: str) -> bool:
    """A value none of the text cells names matches only `-` (and inequalities, which treat it as text)."""
    text = cell.strip()
    return text in ("", "-") or text.startswith("!=")


def result(table: Table, matched: list[int]) -> Any:
    """What the table answers for the matching rules: the first rule's outputs, or every rule's (COLLECT)."""
    by_number = {r.number: r for r in table.rules}
    answers = [by_number[n].outputs for n in matched]
    if table.hit_policy == "COLLECT":
        return tuple(answers)
    return answers[0] if answers else None


# -- the deploy check ------------------------------------------------------------------------------------
def check_table(table: Table) -> list[TableProblem]:
    problems = []
    if table.hit_policy not in HIT_POLICIES:
        problems.append(TableProblem("dmn_hit_policy", table.decision_id,
                                     f"hit policy {table.hit_policy} is not run by the engine "
                                     f"(use {', '.join(HIT_POLICIES)})"))
    for column in (*table.inputs, *table.outputs):
        if column.type not in TYPES:
            problems.append(TableProblem("dmn_type", table.decision_id,
                                         f"column {column.label or column.id!r} has unknown type {column.type!r}"))
    for rule in table.rules:
        if len(rule.cells) != len(table.inputs) or len(rule.outputs) != len(table.outputs):
            problems.append(TableProblem("dmn_cells", table.decision_id,
                                         f"rule {rule.number} has {len(rule.cells)} input and {len(rule.outputs)} "
                                         f"output cells for {len(table.inputs)} inputs and {len(table.outputs)} outputs",
                                         (rule.number,)))
    if problems or table.hit_policy != "UNIQUE":
        return problems
    tests = _compiled(table)
    points = _points([table], [tests]) if tests is not None else None
    if points is None:
        return problems
    overlaps, gaps = {}, None
    for point in points:
        matched = _matches(table, tests, point)
        if len(matched) > 1:
            overlaps.setdefault(tuple(matched), point)
        elif not matched and gaps is None:
            gaps = point
    for rules, point in list(overlaps.items())[:5]:
        problems.append(TableProblem("dmn_overlap", table.decision_id,
                                     f"rules {', '.join(map(str, rules))} all match {_shown(table, point)}: a UNIQUE "
                                     "table needs exactly one", rules, _plain(point)))
    if gaps is not None:
        problems.append(TableProblem("dmn_gap", table.decision_id,
                                     f"no rule matches {_shown(table, gaps)}: a UNIQUE table needs one for every "
                                     "input", (), _plain(gaps)))
    return problems


def _plain(point: dict[str, Any]) -> dict[str, Any]:
    return {k: ("…" if v is OTHER else v) for k, v in point.items()}


def _shown(table: Table, point: dict[str, Any]) -> str:
    return ", ".join(f"{table.label(k)} = {'(another value)' if v is OTHER else repr(v)}" for k, v in point.items())


# -- the change preview ----------------------------------------------------------------------------------
def describe_decision_changes(old_xml: str, new_xml: str, limit: int = 20) -> list[RuleChange]:
    """What changed between two versions of a DMN file: rules added, removed or changed (by rule id), hit
    policies and columns, and up to `limit` input combinations that now get another result."""
    old_tables = {t.decision_id: t for t in read_tables(old_xml)}
    changes: list[RuleChange] = []
    for new in read_tables(new_xml):
        old = old_tables.get(new.decision_id)
        if old is None:
            continue
        changes += _table_changes(old, new)
        changes += _result_changes(old, new, limit)
    return changes


def _table_changes(old: Table, new: Table) -> list[RuleChange]:
    out = []
    d, name = new.decision_id, new.decision_name
    if old.hit_policy != new.hit_policy:
        out.append(RuleChange("hit_policy_changed", d, name, before=old.hit_policy, after=new.hit_policy))
    old_inputs, new_inputs = {c.expression: c for c in old.inputs}, {c.expression: c for c in new.inputs}
    out += [RuleChange("input_added", d, name, after=c.label or c.expression) for e, c in new_inputs.items()
            if e not in old_inputs]
    out += [RuleChange("input_removed", d, name, before=c.label or c.expression) for e, c in old_inputs.items()
            if e not in new_inputs]
    old_outputs, new_outputs = {c.expression: c for c in old.outputs}, {c.expression: c for c in new.outputs}
    out += [RuleChange("output_added", d, name, after=c.label) for e, c in new_outputs.items() if e not in old_outputs]
    out += [RuleChange("output_removed", d, name, before=c.label) for e, c in old_outputs.items()
            if e not in new_outputs]
    old_rules = {r.id: r for r in old.rules}
    new_ids = {r.id for r in new.rules}
    for rule in new.rules:
        before = old_rules.get(rule.id)
        if before is None:
            out.append(RuleChange("rule_added", d, name, rule, labels=_labels(new)))
        elif (before.cells, before.outputs) != (rule.cells, rule.outputs):
            out.append(RuleChange("rule_changed", d, name, rule, before=before, after=rule, labels=_labels(new)))
    out += [RuleChange("rule_removed", d, name, r, labels=_labels(old)) for r in old.rules if r.id not in new_ids]
    return out


def _labels(table: Table) -> dict[str, str]:
    return {c.expression: c.label or c.expression for c in (*table.inputs, *table.outputs)}


def _result_changes(old: Table, new: Table, limit: int) -> list[RuleChange]:
    old_tests, new_tests = _compiled(old), _compiled(new)
    if old_tests is None or new_tests is None:
        return []
    points = _points([old, new], [old_tests, new_tests])
    if points is None:
        return []
    out = []
    for point in points:
        before = result(old, _matches(old, old_tests, point))
        after = result(new, _matches(new, new_tests, point))
        if before != after:
            out.append(RuleChange("result_changed", new.decision_id, new.decision_name, before=before, after=after,
                                  inputs=_plain(point), labels={**_labels(old), **_labels(new)}))
            if len(out) >= limit:
                break
    return out
