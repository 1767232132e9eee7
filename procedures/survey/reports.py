"""Satisfaction scores per survey period and customer grade (001 顾客满意度调查: 汇总分析)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.extensions import Report, ReportChart, ReportColumn

from .records import LOW_SCORE, SatisfactionScore, SatisfactionSurvey


def score_rows(session: Session, _now: datetime) -> list[dict[str, Any]]:
    """One row per period and grade: questionnaires back, average, lowest, how many were not satisfied."""
    low = func.sum((SatisfactionScore.score < LOW_SCORE).cast(SatisfactionScore.score.type))
    found = session.execute(
        select(SatisfactionSurvey.period, SatisfactionScore.grade, func.count(SatisfactionScore.id),
               func.avg(SatisfactionScore.score), func.min(SatisfactionScore.score), low)
        .join(SatisfactionSurvey, SatisfactionSurvey.id == SatisfactionScore.survey_id)
        .group_by(SatisfactionSurvey.period, SatisfactionScore.grade)
        .order_by(SatisfactionSurvey.period, SatisfactionScore.grade))
    return [{"period": period, "grade": f"{grade}类" if grade else "未定级", "answered": count,
             "average": round(float(average), 1), "lowest": lowest, "not_satisfied": int(not_satisfied or 0)}
            for period, grade, count, average, lowest, not_satisfied in found]


SCORES = Report(
    name="satisfaction_scores",
    titles={"zh_CN": "顾客满意度（按年度和客户等级）", "en": "Customer satisfaction by period and grade"},
    notes={"zh_CN": f"每年顾客满意度调查的平均分（0–100分），按客户等级分列；低于{LOW_SCORE}分为不满意（001 顾客满意度调查）。",
                  "en": f"The yearly survey's average score (0-100) per customer grade; below {LOW_SCORE} is "
                        "not satisfied (001 satisfaction survey)."},
    readers=("sales_manager", "gm", "supervisor"),
    columns=(ReportColumn("period", {"zh_CN": "调查年度", "en": "Period"}),
             ReportColumn("grade", {"zh_CN": "客户等级", "en": "Grade"}),
             ReportColumn("answered", {"zh_CN": "收回问卷", "en": "Answered"}),
             ReportColumn("average", {"zh_CN": "平均分", "en": "Average"}),
             ReportColumn("lowest", {"zh_CN": "最低分", "en": "Lowest"}),
             ReportColumn("not_satisfied", {"zh_CN": "不满意客户数", "en": "Not satisfied"})),
    rows=score_rows,
    chart=ReportChart(kind="bar", x="period", y="average", series="grade"),
)
