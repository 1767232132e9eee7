"""The first yearly satisfaction survey as it starts at its due time (the diagram's timer start event): the
plan made, one questionnaire back, the rest waiting for the salespeople; and last year's closed round, so the
scores report has two periods to compare."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ..demo import complete
from .records import close_satisfaction_survey, open_satisfaction_survey, record_satisfaction_scores

PROCESS = "satisfaction_survey"
WORKFLOWS = Path(__file__).resolve().parent.parent.parent / "workflows"


def seed(engine, clock_now) -> int:
    """Deploy the survey and start its first round; returns how many instances were started."""
    _last_year(engine)
    if not engine.definitions(PROCESS):
        engine.deploy_paths([WORKFLOWS / "satisfaction_survey.bpmn"])
    # the worker's round a minute after the due time
    started = engine.fire_scheduled_starts(engine.start_plan(PROCESS).next_at + timedelta(minutes=1))
    survey = next(i for i in engine.instances(limit=100) if i.process_id == PROCESS)
    complete(engine, survey.id, "wujun", "plan", {"grades": "ABCD", "method": "email", "collect_by": "2027-03-31",
                                                  "plan_notes": "问卷增加交货及时性一项"})
    collect = next(t for t in engine.open_tasks(survey.id) if t.bpmn_id == "collect")
    engine.complete(collect.id, "sunli", {"score": 88, "comment": "交货准时，希望缩短打样周期"})
    return started


def _last_year(engine) -> None:
    """Last year's round, kept on paper before the procedure ran here, entered through the operators."""
    scores = {"福州纺织集团": 92, "漳州织造厂": 64, "泉州服饰有限公司": 81, "厦门面料贸易公司": 75, "莆田鞋业有限公司": 58}

    def work(ctx) -> None:
        opened = open_satisfaction_survey(ctx, "2026年度", "ABCD", "paper")
        answers = {name: scores[name] for name in opened["asked"] if name in scores}
        recorded = record_satisfaction_scores(ctx, opened["survey_id"], answers)
        close_satisfaction_survey(ctx, opened["survey_id"], "总体满意，交货及时性需改进（纸质问卷补录）",
                                  {name: "业务经理上门回访，制定交货改进计划" for name in recorded["low"]})
    engine.run_verb("import_satisfaction_survey", "system", work, {"period": "2026年度"})
