"""客户准入评审 (customer_admission): a new customer is reviewed before the first transaction and, when
admitted, enters the register with an initial grade (003 6.1-6.2, 2.1).

The review is kept as a `customer_admission` row whatever its outcome; an admitted customer gets its
grade through the same grade history as every later change (kind `admission`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.extensions import EngineError, OperatorContext

from ..base import Base, operator
from .records import GRADES, describe, ensure_customer, find_customer, record_grade_change


class CustomerAdmission(Base):
    """One admission review (准入评审) and its outcome: admitted with a grade, or refused."""

    __tablename__ = "customer_admission"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_name: Mapped[str] = mapped_column(String(200), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    region: Mapped[str] = mapped_column(String(50))
    outcome: Mapped[str] = mapped_column(String(20))  # admitted | refused
    grade: Mapped[str | None] = mapped_column(String(1))
    reason: Mapped[str] = mapped_column(Text)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the information collected (6.2)
    approvers: Mapped[list[Any]] = mapped_column(default=list)
    decided_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)


def admission_status(customer) -> str:
    """`new` (not in the register), `ungraded` (registered by another procedure, never reviewed),
    `admitted` (has a grade) or `blacklisted`."""
    if customer is None:
        return "new"
    if customer.blacklisted:
        return "blacklisted"
    return "ungraded" if customer.grade is None else "admitted"


@operator("check_admission")
def check_admission(ctx: OperatorContext, name: str) -> dict[str, Any]:
    """Where a customer stands before its admission review; the register is not changed."""
    customer = find_customer(ctx.session, (name or "").strip())
    found = describe(ctx.session, customer, ctx.now) if customer else None
    return {"status": admission_status(customer), "customer": found}


def _review(ctx: OperatorContext, name: str, region: str, outcome: str, grade: str | None, reason: str,
            profile: dict[str, Any] | None, approvers: list[str] | None, customer_id: int | None) -> CustomerAdmission:
    row = CustomerAdmission(customer_name=name, customer_id=customer_id, region=region or "", outcome=outcome,
                            grade=grade, reason=reason or "", profile=dict(profile or {}),
                            approvers=[a for a in (approvers or []) if a], decided_at=ctx.now,
                            instance_id=ctx.instance_id)
    ctx.session.add(row)
    ctx.session.flush()
    return row


@operator("admit_customer")
def admit_customer(ctx: OperatorContext, name: str, grade: str, region: str, reason: str,
                   profile: dict[str, Any] | None = None, approvers: list[str] | None = None) -> dict[str, Any]:
    """Write the admitted customer into the register with its initial grade and region (003 6.1, 2.1)."""
    if grade not in GRADES:
        raise EngineError(f"unknown grade {grade!r}")
    customer = ensure_customer(ctx.session, name, ctx.now)
    status = admission_status(customer)
    if status in ("admitted", "blacklisted"):
        raise EngineError(f"customer {customer.name} is {status}; an admission review does not apply")
    record_grade_change(ctx, customer, "admission", grade, reason, approvers)
    customer.region = (region or "").strip() or None
    row = _review(ctx, customer.name, region, "admitted", grade, reason, profile, approvers, customer.id)
    return {"admission_id": row.id, "customer_id": customer.id, "grade": grade, "admitted_at": ctx.now.isoformat()}


@operator("refuse_admission")
def refuse_admission(ctx: OperatorContext, name: str, region: str, reason: str,
                     profile: dict[str, Any] | None = None, approvers: list[str] | None = None) -> dict[str, Any]:
    """Record a refused review; the customer is not admitted and stays out of the register's grades."""
    customer = find_customer(ctx.session, (name or "").strip())
    row = _review(ctx, (name or "").strip(), region, "refused", None, reason, profile, approvers,
                  customer.id if customer else None)
    return {"admission_id": row.id, "outcome": "refused", "refused_at": ctx.now.isoformat()}
