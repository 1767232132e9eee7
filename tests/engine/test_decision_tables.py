"""Decision tables read as SpiffWorkflow runs them: the deploy check (hit policy, types, overlapping and
missing rules of a UNIQUE table) and the change preview (rules, and inputs that now get another result)."""
from __future__ import annotations

import pytest

from engine import SpecInvalid
from engine.authoring.decision_tables import check_table, describe_decision_changes, read_tables
from engine.authoring.specs import SourceFile
from tests.conftest import WORKFLOWS

RULES = (WORKFLOWS / "grade_rules.dmn").read_text(encoding="utf-8")


def test_the_grade_rules_read_as_four_first_match_rules():
    [table] = read_tables(RULES)
    assert table.hit_policy == "FIRST" and [r.number for r in table.rules] == [1, 2, 3, 4]
    assert [c.expression for c in table.inputs] == ["annual_volume", "payment_record", "default_record"]
    assert table.rules[0].cells == (">= 3000000", '"on_time"', '"none"') and table.rules[0].outputs == ('"A"',)
    assert check_table(table) == []


def test_a_unique_table_names_rules_that_overlap_and_inputs_no_rule_answers():
    [table] = read_tables(RULES.replace('hitPolicy="FIRST"', 'hitPolicy="UNIQUE"'))
    problems = check_table(table)
    overlaps = [p for p in problems if p.code == "dmn_overlap"]
    both = next(p for p in overlaps if {1, 2} <= set(p.rules))  # A's customers are also over B's threshold
    assert both.inputs["annual_volume"] >= 3000000 and "all match" in both.text
    gapless = RULES.replace('hitPolicy="FIRST"', 'hitPolicy="UNIQUE"')
    without_d = gapless[:gapless.index('<rule id="rule_grade_d">')] + gapless[gapless.index("</decisionTable>"):]
    [table] = read_tables(without_d)
    gap = next(p for p in check_table(table) if p.code == "dmn_gap")
    assert gap.inputs["annual_volume"] < 500000 and "no rule matches" in gap.text


def test_unknown_hit_policies_and_types_are_refused():
    [table] = read_tables(RULES.replace('hitPolicy="FIRST"', 'hitPolicy="PRIORITY"').replace(
        'typeRef="number"', 'typeRef="money"'))
    assert {p.code for p in check_table(table)} == {"dmn_hit_policy", "dmn_type"}


def test_a_changed_threshold_says_which_inputs_now_get_another_grade():
    changed = RULES.replace("<text>&gt;= 1000000</text>", "<text>&gt;= 1500000</text>")
    changes = describe_decision_changes(RULES, changed)
    [rule] = [c for c in changes if c.kind == "rule_changed"]
    assert rule.rule.number == 2 and rule.before.cells[0] == ">= 1000000" and rule.after.cells[0] == ">= 1500000"
    results = [c for c in changes if c.kind == "result_changed"]
    assert results and all(c.before == ('"B"',) and c.after == ('"C"',) for c in results)
    assert {c.inputs["annual_volume"] for c in results} == {1000000, 1000001, 1499999}  # between the thresholds
    assert describe_decision_changes(RULES, RULES) == []


def test_the_deploy_check_refuses_an_overlapping_unique_table(small):
    unique = RULES.replace('hitPolicy="FIRST"', 'hitPolicy="UNIQUE"')
    with pytest.raises(SpecInvalid) as refused:
        small.deploy([SourceFile("grade_rules.dmn", unique.encode("utf-8"))], "owen")
    codes = {p.code for p in refused.value.problems}
    assert codes == {"dmn_overlap"} and refused.value.problems[0].element == "grade_rules"


def test_the_preview_of_a_decision_file_lists_its_rule_changes(small):
    small.deploy([SourceFile("grade_rules.dmn", RULES.encode("utf-8"))], "owen")
    changed = RULES.replace("<text>&gt;= 1000000</text>", "<text>&gt;= 1500000</text>")
    [preview] = small.preview_deploy([SourceFile("grade_rules.dmn", changed.encode("utf-8"))], "owen")
    assert preview.next_version == 2 and not preview.unchanged
    assert {c.kind for c in preview.decision_changes} == {"rule_changed", "result_changed"}
