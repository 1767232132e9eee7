"""The yearly customer satisfaction survey: its rounds, the score each customer gave, and the operators the
diagram calls.

Source: 001 客户关系管理控制程序「顾客满意度调查」(一般每年至少一次; 调查方案; 顾客满意度调查问卷; 汇总分析,
改进建议, 提交管理评审). Customers are those of the register (003) in the grades the plan names.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.extensions import EngineError, OperatorContext

from ..base import Base, operator
from ..customer.records import GRADES, Customer, find_customer

LOW_SCORE = 70  # below this a customer is not satisfied and gets a corrective action (the seed gives no figure)
MAX_SCORE = 100


class SatisfactionSurvey(Base):
    """One round of the survey: its period, the grades it covers, and the analysis that closes it."""

    __tablename__ = "satisfaction_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(40), index=True)
    grades: Mapped[str] = mapped_column(String(8))  # the grades asked, e.g. "ABCD"
    method: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    average: Mapped[float | None]
    analysis: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)


class SatisfactionScore(Base):
    """The score (0-100) one customer gave in one round, its grade at the time, and the corrective action
    a low score led to (the customer's own words stay with the questionnaire's task in the request)."""

    __tablename__ = "satisfaction_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("satisfaction_survey.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    grade: Mapped[str | None] = mapped_column(String(1))
    score: Mapped[int]
    corrective_action: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime]


def _survey(ctx: OperatorContext, survey_id: int) -> SatisfactionSurvey:
    survey = ctx.session.get(SatisfactionSurvey, int(survey_id))
    if survey is None:
        raise EngineError(f"survey {survey_id} does not exist")
    return survey


def _registered(ctx: OperatorContext, name: str) -> Customer:
    customer = find_customer(ctx.session, str(name))
    if customer is None:
        raise EngineError(f"customer {name} is not in the register")
    return customer


@operator("open_satisfaction_survey")
def open_satisfaction_survey(ctx: OperatorContext, period: str, grades: str, method: str) -> dict[str, Any]:
    """Open a round for the customers of the given grades (not on the blacklist); returns its id and the
    customers asked, by name (name -> name: a multi-instance task over a mapping keeps each answer under its
    customer's name)."""
    grades = "".join(g for g in GRADES if g in (grades or ""))
    if not grades:
        raise EngineError("a survey needs at least one customer grade")
    survey = SatisfactionSurvey(period=period, grades=grades, method=method or "", opened_at=ctx.now,
                                instance_id=ctx.instance_id)
    ctx.session.add(survey)
    ctx.session.flush()
    names = list(ctx.session.scalars(select(Customer.name).where(Customer.blacklisted.is_(False),
                                                                 Customer.grade.in_(list(grades)))
                                     .order_by(Customer.name)))
    return {"survey_id": survey.id, "asked": {name: name for name in names}}


@operator("record_satisfaction_scores")
def record_satisfaction_scores(ctx: OperatorContext, survey_id: int, answers: dict[str, int]) -> dict[str, Any]:
    """Write every collected score (customer name -> score); returns the average and the customers below
    LOW_SCORE (name -> name, for the corrective actions' multi-instance task)."""
    survey = _survey(ctx, survey_id)
    low = []
    for name, score in answers.items():
        customer = _registered(ctx, name)
        score = int(score)
        if not 0 <= score <= MAX_SCORE:
            raise EngineError(f"a score is 0 to {MAX_SCORE}, not {score}")
        ctx.session.add(SatisfactionScore(survey_id=survey.id, customer_id=customer.id, grade=customer.grade,
                                          score=score, recorded_at=ctx.now))
        if score < LOW_SCORE:
            low.append(customer.name)
    ctx.session.flush()
    average = ctx.session.scalar(select(func.avg(SatisfactionScore.score))
                                 .where(SatisfactionScore.survey_id == survey.id))
    survey.average = round(float(average), 1) if average is not None else None
    return {"average": survey.average, "answered": len(answers), "low": {name: name for name in sorted(low)},
            "low_score": LOW_SCORE}


@operator("close_satisfaction_survey")
def close_satisfaction_survey(ctx: OperatorContext, survey_id: int, analysis: str,
                              actions: dict[str, str] | None = None) -> dict[str, Any]:
    """Keep the analysis and each low score's corrective action (customer name -> action); the round is
    closed."""
    survey = _survey(ctx, survey_id)
    for name, action in (actions or {}).items():
        customer = _registered(ctx, name)
        row = ctx.session.scalars(select(SatisfactionScore).where(
            SatisfactionScore.survey_id == survey.id, SatisfactionScore.customer_id == customer.id)).first()
        if row is None:
            raise EngineError(f"no score of {name} in survey {survey.id}")
        row.corrective_action = action or ""
    survey.analysis, survey.closed_at = analysis or "", ctx.now
    ctx.session.flush()
    return {"survey_id": survey.id, "closed_at": ctx.now.isoformat(), "actions": len(actions or [])}
