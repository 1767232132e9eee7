"""顾客满意度调查 (satisfaction_survey), walked end to end.

Seed: 001 客户关系管理控制程序「顾客满意度调查」: 一般每年至少一次 (the yearly timer start event); 营销管理中心经理
负责编制调查方案, 明确调查范围、时间、方式 (plan); 调查采用发放顾客满意度调查问卷的方式进行 (collect); 汇总分析,
做出总体评价, 提出改进建议, 提交管理评审 (analyse); 必要时执行纠正措施控制程序 (corrective actions for low scores).
Customers come from the register and its grades (003 2).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine.errors import FormInvalid, NotAllowed
from procedures.customer.records import blacklist_customer, find_customer, import_customers
from procedures.survey.records import LOW_SCORE, SatisfactionScore, SatisfactionSurvey
from tests.conftest import WORKFLOWS, rows

UTC = timezone.utc
FIRST_DUE = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)  # the diagram's timer: 2027-03-01 09:00 Beijing, every year
PLAN = {"grades": "AB", "method": "email", "collect_by": "2027-03-31"}


@pytest.fixture
def survey(engine):
    engine.deploy_paths([WORKFLOWS / "satisfaction_survey.bpmn"], "luoming")
    import_customers(engine, [("甲纺织", "A"), ("乙服饰", "B"), ("丙面料", "C"), ("丁鞋业", "D")])
    return engine


def start_round(engine) -> int:
    """The worker's round a minute after the due time starts the survey."""
    assert engine.fire_due_timers(FIRST_DUE + timedelta(minutes=1)) == 1
    [inst] = [i for i in engine.instances(limit=50) if i.process_id == "satisfaction_survey"]
    return inst.id


def only(engine, instance_id: int, bpmn_id: str, customer: str | None = None):
    found = [t for t in engine.open_tasks(instance_id) if t.bpmn_id == bpmn_id and
             (customer is None or customer in (engine.task_data(t.id).get("customer_name"),
                                               engine.task_data(t.id).get("low_customer")))]
    assert len(found) == 1, [(t.bpmn_id, t.id) for t in engine.open_tasks(instance_id)]
    return found[0]


def collect_all(engine, inst: int, scores: dict[str, int]) -> None:
    for name, score in scores.items():
        engine.complete(only(engine, inst, "collect", name).id, "sunli", {"score": score, "comment": f"{name}意见"})


def test_a_yearly_round_asks_the_customers_of_the_planned_grades(survey):
    """一般每年至少一次: the timer starts a round each year; 调查方案 names the grades asked."""
    assert survey.fire_due_timers(FIRST_DUE - timedelta(seconds=1)) == 0
    inst = start_round(survey)
    plan = only(survey, inst, "plan")
    assert plan.candidate_groups == ("sales_manager",)
    survey.complete(plan.id, "wujun", PLAN)
    asked = sorted(survey.task_data(t.id)["customer_name"] for t in survey.open_tasks(inst))
    assert asked == ["乙服饰", "甲纺织"], "only grades A and B, as planned"
    assert {t.candidate_groups for t in survey.open_tasks(inst)} == {("sales",)}
    assert sorted(t.title for t in survey.open_tasks(inst)) == ["收回客户满意度问卷：乙服饰", "收回客户满意度问卷：甲纺织"]
    assert survey.fire_due_timers(FIRST_DUE + timedelta(days=365)) == 0  # 2028 is a leap year
    assert survey.fire_due_timers(FIRST_DUE + timedelta(days=366, minutes=1)) == 1, "next year's round, 2028-03-01"


def test_scores_are_recorded_analysed_and_a_low_score_gets_a_corrective_action(survey):
    """调查分析 and 纠正措施: the average goes to the analysis; a score below 70 (our threshold) gets a
    corrective action from 主管领导; everything is kept with the round."""
    inst = start_round(survey)
    survey.complete(only(survey, inst, "plan").id, "wujun", PLAN)
    collect_all(survey, inst, {"甲纺织": 90, "乙服饰": LOW_SCORE - 1})
    analyse = only(survey, inst, "analyse")
    data = survey.task_data(analyse.id)
    assert (data["scores"]["average"], data["scores"]["low"]) == (79.5, {"乙服饰": "乙服饰"})
    survey.complete(analyse.id, "wujun", {"analysis": "总体满意，交货期需改进"})
    corrective = only(survey, inst, "corrective", "乙服饰")
    assert (corrective.candidate_groups, corrective.title) == (("supervisor",), "制定纠正措施：乙服饰")
    done = survey.complete(corrective.id, "zhengkai", {"action": "生产部调整排产，两周内回访"})
    assert (done.status, done.outcome) == ("completed", "done")
    [round_] = rows(survey, select(SatisfactionSurvey))
    assert (round_.period, round_.grades, round_.average, round_.analysis) == ("2026年度", "AB", 79.5, "总体满意，交货期需改进")
    assert round_.closed_at is not None
    scores = {r.score: (r.grade, r.corrective_action) for r in rows(survey, select(SatisfactionScore))}
    assert scores == {90: ("A", None), 69: ("B", "生产部调整排产，两周内回访")}


def test_no_low_score_closes_the_round_without_corrective_actions(survey):
    inst = start_round(survey)
    survey.complete(only(survey, inst, "plan").id, "wujun", PLAN)
    collect_all(survey, inst, {"甲纺织": LOW_SCORE, "乙服饰": 100})
    done = survey.complete(only(survey, inst, "analyse").id, "wujun", {"analysis": "满意"})
    assert done.outcome == "done"
    assert all(r.corrective_action is None for r in rows(survey, select(SatisfactionScore)))


def test_a_score_out_of_range_is_refused_and_loses_nothing(survey):
    """Bad input: a score is 0 to 100; the questionnaire stays open."""
    inst = start_round(survey)
    survey.complete(only(survey, inst, "plan").id, "wujun", PLAN)
    task = only(survey, inst, "collect", "甲纺织")
    with pytest.raises(FormInvalid) as refused:
        survey.complete(task.id, "sunli", {"score": 101})
    assert "score" in refused.value.by_field()
    assert only(survey, inst, "collect", "甲纺织").id == task.id
    assert rows(survey, select(SatisfactionScore)) == []


def test_only_the_roles_of_the_seed_act(survey):
    """调查方案 by 营销管理中心经理 (sales_manager); questionnaires by 业务人员 (sales)."""
    inst = start_round(survey)
    with pytest.raises(NotAllowed):
        survey.complete(only(survey, inst, "plan").id, "sunli", PLAN)
    survey.complete(only(survey, inst, "plan").id, "wujun", PLAN)
    with pytest.raises(NotAllowed):
        survey.complete(only(survey, inst, "collect", "甲纺织").id, "wujun", {"score": 80})


def test_a_plan_whose_grades_hold_no_customer_ends_the_round(survey):
    """003 3.5: a blacklisted customer has no grade, so a plan for grade A finds nobody once 甲纺织 is listed."""
    def work(ctx):
        blacklist_customer(ctx, find_customer(ctx.session, "甲纺织").id, "造成重大损失")
    survey.run_verb("blacklist_customer", "system", work, {"customer": "甲纺织"})
    inst = start_round(survey)
    done = survey.complete(only(survey, inst, "plan").id, "wujun", {**PLAN, "grades": "A"})
    assert (done.status, done.outcome) == ("completed", "not_applicable")
    assert survey.open_tasks(inst) == []


def test_scores_report_per_period_and_grade_and_the_blacklist_list(survey):
    """汇总分析 read back as a report (per period and grade), and 003 3.5a: the blacklist as a list for the
    GM office; both for their readers only, the same on every database."""
    inst = start_round(survey)
    survey.complete(only(survey, inst, "plan").id, "wujun", {**PLAN, "grades": "ABCD"})
    collect_all(survey, inst, {"甲纺织": 90, "乙服饰": 60, "丙面料": 80, "丁鞋业": 70})
    survey.complete(only(survey, inst, "analyse").id, "wujun", {"analysis": "总体满意"})
    survey.complete(only(survey, inst, "corrective", "乙服饰").id, "zhengkai", {"action": "上门回访"})
    view = survey.report("satisfaction_scores", "wangqiang")
    assert [(r["period"], r["grade"], r["answered"], r["average"], r["not_satisfied"]) for r in view.rows] == [
        ("2026年度", "A类", 1, 90.0, 0), ("2026年度", "B类", 1, 60.0, 1), ("2026年度", "C类", 1, 80.0, 0),
        ("2026年度", "D类", 1, 70.0, 0)]

    def work(ctx):
        blacklist_customer(ctx, find_customer(ctx.session, "丁鞋业").id, "提供虚假验收报告", 3)
    survey.run_verb("blacklist_customer", "system", work, {"customer": "丁鞋业"})
    [entry] = survey.report("blacklist", "zhaomin").rows
    assert (entry["customer"], entry["reason"], entry["status"]) == ("丁鞋业", "提供虚假验收报告", "在名单中")
    with pytest.raises(NotAllowed) as refused:
        survey.report("blacklist", "sunli")
    assert refused.value.reason == "not_report_reader"
