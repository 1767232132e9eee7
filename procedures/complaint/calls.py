"""客户来电记录单: a difficult enquiry, studied by the departments concerned before it is answered.

Seed 002 客户服务管理制度 第六条6.1(5): 遇到有一定困难的问题，及时填写客户来电记录单（见附表1），协同相关部门
研究处理后及时给予回复. The record has its number LD-<year>-<4 digits>; the departments' opinions are
written as they come in, and the answer is refused until every department concerned has studied it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.extensions import EngineError, OperatorContext

from ..base import Base, operator
from ..numbering import next_value
from .records import CHINA_TZ, _complaint

NUMBER_PREFIX = "LD"
DEPARTMENTS = ("group:production", "group:technical", "group:quality", "group:finance", "group:sales")


class CallRecord(Base):
    """One 客户来电记录单: the question, the departments concerned, their opinions and the answer."""

    __tablename__ = "call_record"
    __table_args__ = (UniqueConstraint("number", name="uq_call_record_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    departments: Mapped[list[Any]] = mapped_column(default=list)
    studies: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20))  # studying / answered
    answer: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    answered_by: Mapped[str | None] = mapped_column(String(80))
    answered_at: Mapped[datetime | None]


def _record(ctx: OperatorContext, record_id: Any) -> CallRecord:
    found = ctx.session.get(CallRecord, int(record_id)) if record_id is not None else None
    if found is None:
        raise EngineError(f"call record {record_id!r} not found")
    return found


@operator("register_call_record")
def register_call_record(ctx: OperatorContext, complaint_id: int, question: str,
                         departments: list[str]) -> dict[str, Any]:
    """Fill in the 客户来电记录单 (number LD-<year>-<4 digits>) and hand it to the departments concerned."""
    complaint = _complaint(ctx, complaint_id)
    departments = list(dict.fromkeys(departments or ()))
    if not departments or set(departments) - set(DEPARTMENTS):
        raise EngineError(f"a call record needs departments among {DEPARTMENTS}, got {departments!r}")
    year = ctx.now.astimezone(CHINA_TZ).year
    number = f"{NUMBER_PREFIX}-{year}-{next_value(ctx.session, NUMBER_PREFIX, year):04d}"
    row = CallRecord(number=number, complaint_id=complaint.id, question=question, departments=departments,
                     studies=[], status="studying", answer="", created_by=ctx.actor, created_at=ctx.now)
    ctx.session.add(row)
    complaint.status = "studying"
    complaint.updated_at = ctx.now
    ctx.session.flush()
    return {"call_record_id": row.id, "number": number}


@operator("record_call_studies")
def record_call_studies(ctx: OperatorContext, call_record_id: int, studies: list[dict[str, Any]]) -> dict[str, Any]:
    """Write each department's study (department, who, opinion, when) on the record."""
    row = _record(ctx, call_record_id)
    row.studies = [{"dept": s["dept"], "by": s["by"], "opinion": s["opinion"],
                    "at": ctx.now.isoformat()} for s in studies]
    return {"studied": sorted(s["dept"] for s in row.studies)}


@operator("answer_call_record")
def answer_call_record(ctx: OperatorContext, call_record_id: int, answer: str) -> dict[str, Any]:
    """The receiver's answer to the customer, only once every department concerned has studied the question."""
    row = _record(ctx, call_record_id)
    missing = set(row.departments) - {s["dept"] for s in row.studies}
    if missing:
        raise EngineError(f"call record {row.number}: not yet studied by {sorted(missing)}")
    row.answer = answer
    row.status = "answered"
    row.answered_by = ctx.actor
    row.answered_at = ctx.now
    return {"number": row.number, "status": row.status}
