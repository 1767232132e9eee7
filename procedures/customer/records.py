"""Business records: the customer register, its grade history and the sales blacklist.

Source: 003 客户管理制度 2 (grades A/B/C/D), 3.2-3.5 (downgrade, blacklist, re-admission as C).
The register is business data of the product; the grade_change procedure writes it through the
operators below, so every change lands in the same transaction as the workflow step.
"""
from __future__ import annotations

import calendar
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.extensions import SYSTEM_USER, EngineError, OperatorContext

from ..base import Base, operator

GRADES = ("A", "B", "C", "D")
READMISSION_GRADE = "C"  # 003 3.5b: 重新进入客户名单,但需定位于C类客户
MAX_BLACKLIST_MONTHS = 6  # 003 3.5b: 有效期暂定6个月,如有特殊情况可适当缩短


class Customer(Base):
    """One customer; `grade` is None while the customer is new or on the blacklist."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    grade: Mapped[str | None] = mapped_column(String(1))
    blacklisted: Mapped[bool] = mapped_column(Boolean, default=False)
    region: Mapped[str | None] = mapped_column(String(50))  # 拜访区域 (000 制度2), set by the admission review
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CustomerGradeHistory(Base):
    """One change of a customer's grade or list status: from, to, why, who approved, when."""

    __tablename__ = "customer_grade_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    # admission | evaluation | downgrade | upgrade | blacklist | readmission
    kind: Mapped[str] = mapped_column(String(20))
    from_grade: Mapped[str | None] = mapped_column(String(1))
    to_grade: Mapped[str | None] = mapped_column(String(1))
    reason: Mapped[str] = mapped_column(Text)
    approvers: Mapped[list[Any]] = mapped_column(default=list)
    changed_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)


class CustomerBlacklist(Base):
    """One entry on the sales blacklist (销售客户黑名单) and how it ended."""

    __tablename__ = "customer_blacklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    listed_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))  # None (listed) | readmitted | refused
    instance_id: Mapped[int | None] = mapped_column(Integer)


def add_months(value: datetime, months: int) -> datetime:
    """The same day `months` calendar months later (clamped to the month's last day)."""
    total = value.month - 1 + months
    year, month = value.year + total // 12, total % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def find_customer(session: Session, name: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.name == name)).first()


def ensure_customer(session: Session, name: str, now: datetime, grade: str | None = None,
                    region: str | None = None) -> Customer:
    """The customer called `name`, created (with `grade` and `region`) when unknown."""
    name = (name or "").strip()
    if not name:
        raise EngineError("a customer needs a name")
    customer = find_customer(session, name)
    if customer is None:
        customer = Customer(name=name, grade=grade, blacklisted=False, region=region, created_at=now, updated_at=now)
        session.add(customer)
        session.flush()
    return customer


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, int(customer_id))
    if customer is None:
        raise EngineError(f"customer {customer_id} does not exist")
    return customer


def current_blacklisting(session: Session, customer_id: int) -> CustomerBlacklist | None:
    """The newest blacklist entry of a customer, whatever its outcome."""
    return session.scalars(select(CustomerBlacklist).where(CustomerBlacklist.customer_id == customer_id)
                           .order_by(CustomerBlacklist.listed_at.desc(), CustomerBlacklist.id.desc())).first()


def describe(session: Session, customer: Customer, now: datetime) -> dict[str, Any]:
    """The JSON-able view of a customer the procedures work with."""
    entry = current_blacklisting(session, customer.id) if customer.blacklisted else None
    return {
        "id": customer.id,
        "name": customer.name,
        "grade": customer.grade,
        "blacklisted": customer.blacklisted,
        "region": customer.region,
        "blacklist_expires_at": entry.expires_at.isoformat() if entry else None,
        "blacklist_expired": bool(entry and entry.expires_at <= now),
    }


def record_grade_change(ctx: OperatorContext, customer: Customer, kind: str, to_grade: str | None, reason: str,
                        approvers: list[str] | None) -> CustomerGradeHistory:
    """Give the customer `to_grade` and write the grade-history row saying why and who approved it."""
    row = CustomerGradeHistory(customer_id=customer.id, kind=kind, from_grade=customer.grade, to_grade=to_grade,
                               reason=reason or "", approvers=[a for a in (approvers or []) if a],
                               changed_at=ctx.now, instance_id=ctx.instance_id)
    ctx.session.add(row)
    customer.grade = to_grade
    customer.updated_at = ctx.now
    return row


@operator("get_customer")
def get_customer(ctx: OperatorContext, name: str) -> dict[str, Any]:
    """The customer by name, registered without a grade when it is not in the register yet."""
    return describe(ctx.session, ensure_customer(ctx.session, name, ctx.now), ctx.now)


@operator("set_customer_grade")
def set_customer_grade(ctx: OperatorContext, customer_id: int, grade: str, kind: str, reason: str,
                       approvers: list[str] | None = None) -> dict[str, Any]:
    """Give the customer an approved grade and write the grade history (003 2, 3.2, 3.3)."""
    if grade not in GRADES:
        raise EngineError(f"unknown grade {grade!r}")
    customer = _customer(ctx.session, customer_id)
    if customer.blacklisted:
        raise EngineError(f"customer {customer.name} is on the blacklist; only re-admission applies")
    row = record_grade_change(ctx, customer, kind, grade, reason, approvers)
    ctx.session.flush()
    return {"customer_id": customer.id, "from_grade": row.from_grade, "to_grade": grade,
            "changed_at": ctx.now.isoformat()}


@operator("customers_for_review")
def customers_for_review(ctx: OperatorContext) -> list[str]:
    """The names of every customer in the register that a periodic grade review covers: all but those on
    the blacklist (they have no grade until re-admitted, 003 3.5b), by name."""
    return list(ctx.session.scalars(select(Customer.name).where(Customer.blacklisted.is_(False))
                                    .order_by(Customer.name)))


@operator("blacklist_customer")
def blacklist_customer(ctx: OperatorContext, customer_id: int, reason: str, months: int = MAX_BLACKLIST_MONTHS,
                       approvers: list[str] | None = None) -> dict[str, Any]:
    """Put the customer on the sales blacklist for `months` (at most 6) (003 3.2, 3.5)."""
    months = int(months)
    if not 1 <= months <= MAX_BLACKLIST_MONTHS:
        raise EngineError(f"a blacklist entry lasts 1 to {MAX_BLACKLIST_MONTHS} months, not {months}")
    customer = _customer(ctx.session, customer_id)
    if customer.blacklisted:
        raise EngineError(f"customer {customer.name} is already on the blacklist")
    entry = CustomerBlacklist(customer_id=customer.id, reason=reason or "", listed_at=ctx.now,
                              expires_at=add_months(ctx.now, months), instance_id=ctx.instance_id)
    ctx.session.add(entry)
    row = record_grade_change(ctx, customer, "blacklist", None, reason, approvers)
    customer.blacklisted = True
    ctx.session.flush()
    return {"customer_id": customer.id, "blacklist_id": entry.id, "from_grade": row.from_grade,
            "listed_at": ctx.now.isoformat(), "expires_at": entry.expires_at.isoformat(), "months": months}


@operator("readmit_customer")
def readmit_customer(ctx: OperatorContext, customer_id: int, reason: str,
                     approvers: list[str] | None = None) -> dict[str, Any]:
    """Take an expired blacklisting off the list; the customer comes back as grade C, always (003 3.5b)."""
    customer = _customer(ctx.session, customer_id)
    entry = current_blacklisting(ctx.session, customer.id)
    if not customer.blacklisted or entry is None:
        raise EngineError(f"customer {customer.name} is not on the blacklist")
    if entry.expires_at > ctx.now:
        raise EngineError(f"the blacklisting of {customer.name} runs until {entry.expires_at.isoformat()}")
    entry.lifted_at, entry.outcome = ctx.now, "readmitted"
    record_grade_change(ctx, customer, "readmission", READMISSION_GRADE, reason, approvers)
    customer.blacklisted = False
    ctx.session.flush()
    return {"customer_id": customer.id, "grade": READMISSION_GRADE, "readmitted_at": ctx.now.isoformat()}


@operator("keep_blacklisted")
def keep_blacklisted(ctx: OperatorContext, customer_id: int, reason: str) -> dict[str, Any]:
    """Record that re-admission was refused: the customer stays out (003 3.5b)."""
    customer = _customer(ctx.session, customer_id)
    entry = current_blacklisting(ctx.session, customer.id)
    if entry is None:
        raise EngineError(f"customer {customer.name} has no blacklist entry")
    entry.outcome = "refused"
    customer.updated_at = ctx.now
    ctx.session.flush()
    return {"customer_id": customer.id, "outcome": "refused", "reason": reason or ""}


def import_customers(engine, customers: list[tuple], actor: str = SYSTEM_USER) -> int:
    """Add customers (name, grade[, region]) to the register when unknown, in one audited unit of work."""
    def work(ctx: OperatorContext) -> int:
        for name, grade, *region in customers:
            ensure_customer(ctx.session, name, ctx.now, grade, *region)
        return len(customers)
    return engine.run_verb("import_customers", actor, work, {"customers": [c[0] for c in customers]})
