"""Business records: customer complaints (顾客投诉) and their handling rounds.

Sources: seed 001 客户关系管理控制程序 (被动维护客户关系: 投诉登记 → 调查分析 → 制定纠正措施) and seed
002 客户服务管理制度 第六条6.1(6), 第七条. The BPMN process `complaint_handling` writes these rows
through the operators below, inside the engine's unit of work.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, select)
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.extensions import EngineError, OperatorContext

from ..base import Base, operator, when
from ..numbering import next_value

KINDS = ("consultation", "query", "complaint")
SEVERITIES = ("general", "major")
CHANNELS = ("visit", "phone", "fax", "other")
STATUSES = ("registered", "studying", "investigating", "investigated", "corrective_verified", "plan_approved",
            "answered", "reopened", "closed")
NUMBER_PREFIX = "TS"
CHINA_TZ = timezone(timedelta(hours=8))
# Escalation kinds: the level they reach and who is told (PROCEDURES.md §2 rule 7, our choice).
ESCALATIONS = {"first_response": (1, "group:supervisor", "首次响应超时"),
               "resolution": (2, "group:gm", "处理期限超时")}
ROUND_FIELDS = ("investigation", "cause", "responsible_dept", "corrective_action", "verification",
                "gm_decision", "gm_comment", "answer", "satisfied", "feedback")
COMPLAINT_FIELDS = ("responsible_dept", "answer")


class Complaint(Base):
    """One 《顾客投诉登记表》 (consultations and queries are registered too, and closed at once)."""

    __tablename__ = "complaint"
    __table_args__ = (UniqueConstraint("number", name="uq_complaint_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    customer: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(100), default="")
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20), index=True)
    severity: Mapped[str | None] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    product: Mapped[str] = mapped_column(String(200), default="")
    demand: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(30), index=True)
    rounds: Mapped[int] = mapped_column(Integer, default=1)
    responsible_dept: Mapped[str | None] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(Text, default="")
    first_response_due: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    last_escalation: Mapped[str] = mapped_column(String(300), default="")
    last_escalated_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class ComplaintRound(Base):
    """One handling round: investigation → corrective action → answer → call-back (回访)."""

    __tablename__ = "complaint_round"
    __table_args__ = (UniqueConstraint("complaint_id", "round", name="uq_complaint_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    investigation: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    responsible_dept: Mapped[str | None] = mapped_column(String(40))
    corrective_action: Mapped[str] = mapped_column(Text, default="")
    verification: Mapped[str] = mapped_column(Text, default="")
    gm_decision: Mapped[str | None] = mapped_column(String(20))
    gm_comment: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    feedback: Mapped[str] = mapped_column(Text, default="")
    first_response_escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


def _complaint(ctx: OperatorContext, complaint_id: Any) -> Complaint:
    found = ctx.session.get(Complaint, int(complaint_id)) if complaint_id is not None else None
    if found is None:
        raise EngineError(f"complaint {complaint_id!r} not found")
    return found


def current_round(session: Session, complaint: Complaint) -> ComplaintRound:
    row = session.scalars(select(ComplaintRound).where(ComplaintRound.complaint_id == complaint.id,
                                                       ComplaintRound.round == complaint.rounds)).first()
    if row is None:
        raise EngineError(f"complaint {complaint.number} has no round {complaint.rounds}")
    return row


def _view(c: Complaint) -> dict[str, Any]:
    return {"complaint_id": c.id, "number": c.number, "status": c.status, "rounds": c.rounds,
            "escalations": c.escalations}


@operator("register_complaint")
def register_complaint(ctx: OperatorContext, customer: str, channel: str, received_at: str, kind: str,
                       content: str, severity: str | None = None, product: str = "", demand: str = "",
                       contact: str = "", first_response_due: str | None = None,
                       resolution_due: str | None = None) -> dict[str, Any]:
    """Register a 《顾客投诉登记表》 with its number TS-<year>-<4 digits> and round 1."""
    if kind not in KINDS or channel not in CHANNELS:
        raise EngineError(f"unknown kind {kind!r} or channel {channel!r}")
    if kind == "complaint" and severity not in SEVERITIES:
        raise EngineError(f"a complaint needs a severity, got {severity!r}")
    year = ctx.now.astimezone(CHINA_TZ).year
    number = f"{NUMBER_PREFIX}-{year}-{next_value(ctx.session, NUMBER_PREFIX, year):04d}"
    row = Complaint(number=number, instance_id=ctx.instance_id, customer=customer, contact=contact or "",
                    channel=channel, received_at=when(received_at), kind=kind,
                    severity=severity if kind == "complaint" else None, content=content,
                    product=product or "", demand=demand or "", rounds=1, answer="",
                    status="registered",
                    first_response_due=when(first_response_due), resolution_due=when(resolution_due),
                    escalations=0, escalation_level=0, last_escalation="", created_by=ctx.actor,
                    created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(row)
    ctx.session.flush()
    ctx.session.add(ComplaintRound(complaint_id=row.id, round=1, started_at=ctx.now))
    ctx.session.flush()
    return _view(row)


@operator("update_complaint")
def update_complaint(ctx: OperatorContext, complaint_id: int, status: str | None = None,
                     fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Move the complaint on and write what this step found into the current round."""
    c = _complaint(ctx, complaint_id)
    fields = dict(fields or {})
    unknown = set(fields) - set(ROUND_FIELDS)
    if unknown:
        raise EngineError(f"update_complaint: unknown fields {sorted(unknown)}")
    rnd = current_round(ctx.session, c)
    for name, value in fields.items():
        setattr(rnd, name, value)
        if name in COMPLAINT_FIELDS:
            setattr(c, name, value)
    if status is not None:
        if status not in STATUSES:
            raise EngineError(f"unknown complaint status {status!r}")
        c.status = status
        if status == "investigated" and c.first_responded_at is None:
            c.first_responded_at = ctx.now
        if status == "closed":
            c.closed_at = ctx.now
            rnd.ended_at = ctx.now
    c.updated_at = ctx.now
    return _view(c)


@operator("reopen_complaint")
def reopen_complaint(ctx: OperatorContext, complaint_id: int, rounds: int, feedback: str = "",
                     resolution_due: str | None = None) -> dict[str, Any]:
    """The customer was not satisfied at the call-back: close this round, open round `rounds`."""
    c = _complaint(ctx, complaint_id)
    if int(rounds) != c.rounds + 1:
        raise EngineError(f"complaint {c.number} is in round {c.rounds}, cannot open round {rounds}")
    rnd = current_round(ctx.session, c)
    rnd.satisfied = False
    rnd.feedback = feedback or ""
    rnd.ended_at = ctx.now
    c.rounds = int(rounds)
    c.status = "reopened"
    if resolution_due:
        c.resolution_due = when(resolution_due)
    c.updated_at = ctx.now
    ctx.session.add(ComplaintRound(complaint_id=c.id, round=c.rounds, started_at=ctx.now))
    ctx.session.flush()
    return _view(c)


@operator("escalate_complaint")
def escalate_complaint(ctx: OperatorContext, complaint_id: int, kind: str) -> dict[str, Any]:
    """A deadline passed: record the escalation once per kind and round, and say whom to tell.

    A first-response deadline counts only while nobody has responded yet; a resolution deadline only
    while the complaint is open."""
    if kind not in ESCALATIONS:
        raise EngineError(f"unknown escalation kind {kind!r}")
    level, notify_to, label = ESCALATIONS[kind]
    c = _complaint(ctx, complaint_id)
    rnd = current_round(ctx.session, c)
    flag = f"{kind}_escalated"
    moot = (c.status == "closed" or getattr(rnd, flag)
            or (kind == "first_response" and c.first_responded_at is not None))
    if moot:
        return {"escalated": False, "level": c.escalation_level, "notify_to": "", "subject": "", "body": ""}
    setattr(rnd, flag, True)
    c.escalations += 1
    c.escalation_level = max(c.escalation_level, level)
    c.last_escalation = f"{label}（第{c.rounds}轮，升级至{'主管领导' if level == 1 else '总经理'}）"
    c.last_escalated_at = ctx.now
    c.updated_at = ctx.now
    subject = f"投诉 {c.number} {label}"
    body = f"客户：{c.customer}；当前状态：{c.status}；第{c.rounds}轮。请督办。"
    return {"escalated": True, "level": level, "notify_to": notify_to, "subject": subject, "body": body}
