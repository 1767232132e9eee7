"""Business records: contracts under review, production orders, and the number counters.

Source: 001 与顾客有关的管理控制程序 3.2-3.4. The contract_review procedure writes these through the
operators below; amendments (3.5) are in `contract_amendment`.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.extensions import EngineError, OperatorContext, notify

from ..base import Base, day, operator
from ..customer.admission import admission_status
from ..customer.records import find_customer
from ..numbering import next_value

KINDS = ("routine", "special", "stock")
CHANNELS = ("written", "oral", "phone")
KIND_NAMES = {"routine": "常规合同", "special": "特殊合同", "stock": "现货合同"}


class Contract(Base):
    """A contract from its review (before signing, 3.3.1) until it takes effect (3.4)."""

    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # routine | special | stock
    channel: Mapped[str] = mapped_column(String(10))  # written | oral | phone
    status: Mapped[str] = mapped_column(String(20), index=True)  # under_review | reviewed | effective | withdrawn
    review_outcome: Mapped[str | None] = mapped_column(String(20))  # passed | withdrawn | not_confirmed
    reviewed_at: Mapped[datetime | None]
    terms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    signed_on: Mapped[date | None]
    effective_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(Integer)


class ProductionOrder(Base):
    """A production order (生产任务单) with its process sheet (工艺单), sent when a contract takes effect."""

    __tablename__ = "production_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    departments: Mapped[list[Any]] = mapped_column(default=list)
    issued_by: Mapped[str] = mapped_column(String(80))
    issued_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(Integer)


def next_number(session: Session, prefix: str, model: type[Contract] | type[ProductionOrder], now: datetime) -> str:
    """The next free number `PREFIX-YYYY-NNNN`; numbers typed in by hand are skipped, never reused."""
    for _ in range(1000):
        number = f"{prefix}-{now.year}-{next_value(session, prefix, now.year):04d}"
        if session.scalars(select(model.id).where(model.number == number)).first() is None:
            return number
    raise EngineError(f"no free {prefix} number left in {now.year}")


def find_contract(session: Session, number: str) -> Contract | None:
    return session.scalars(select(Contract).where(Contract.number == number)).first()


def get_contract(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, int(contract_id))
    if contract is None:
        raise EngineError(f"contract {contract_id} does not exist")
    return contract


def admission_note(customer) -> str:
    """Whether the contract's customer passed the admission review before this transaction (003 6.1)."""
    if admission_status(customer) == "admitted":
        return f"已准入（{customer.grade}类）"
    if admission_status(customer) == "blacklisted":
        return "销售客户黑名单中的客户（003 客户管理制度 3.5）"
    return "未经客户准入评审：新客户首次交易前应先评审（003 客户管理制度 6.1）"


@operator("contract_register")
def contract_register(ctx: OperatorContext, customer: str, kind: str, channel: str,
                      number: str = "") -> dict[str, Any]:
    """Register a contract for review; a blank number gets the next HT-YYYY-NNNN (3.2.2)."""
    if kind not in KINDS or channel not in CHANNELS:
        raise EngineError(f"unknown contract kind {kind!r} or order channel {channel!r}")
    number = (number or "").strip()
    if number and find_contract(ctx.session, number) is not None:
        return {"ok": False, "number": number, "problem": f"合同编号 {number} 已存在，请更正后重新提交"}
    number = number or next_number(ctx.session, "HT", Contract, ctx.now)
    contract = Contract(number=number, customer=customer, kind=kind, channel=channel, status="under_review",
                        terms={}, created_by=ctx.actor, created_at=ctx.now, instance_id=ctx.instance_id)
    ctx.session.add(contract)
    ctx.session.flush()
    return {"ok": True, "contract_id": contract.id, "number": number, "problem": "",
            "customer_admission": admission_note(find_customer(ctx.session, customer.strip()))}


@operator("contract_record_review")
def contract_record_review(ctx: OperatorContext, contract_id: int, outcome: str, mode: str = "new",
                           terms: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the review's outcome; a re-review for an amendment leaves the signed contract alone (3.5)."""
    if outcome not in ("passed", "withdrawn", "not_confirmed"):
        raise EngineError(f"unknown review outcome {outcome!r}")
    contract = get_contract(ctx.session, contract_id)
    if mode == "new":
        contract.review_outcome, contract.reviewed_at = outcome, ctx.now
        contract.status = "reviewed" if outcome == "passed" else "withdrawn"
        if terms is not None:
            contract.terms = dict(terms)
        ctx.session.flush()
    return {"outcome": outcome, "mode": mode, "contract_id": contract.id, "number": contract.number,
            "reviewed_at": ctx.now.isoformat()}


@operator("contract_take_effect")
def contract_take_effect(ctx: OperatorContext, contract_id: int, signed_on: str) -> dict[str, Any]:
    """The reviewed contract is signed and takes effect (3.3.1: signing only after the review)."""
    contract = get_contract(ctx.session, contract_id)
    if contract.status != "reviewed" or contract.review_outcome != "passed":
        raise EngineError(f"contract {contract.number} has not passed its review")
    contract.status, contract.signed_on, contract.effective_at = "effective", day(signed_on), ctx.now
    ctx.session.flush()
    return {"contract_id": contract.id, "number": contract.number, "status": contract.status,
            "effective_at": ctx.now.isoformat()}


@operator("issue_production_order")
def issue_production_order(ctx: OperatorContext, contract_id: int, departments: list[str]) -> dict[str, Any]:
    """Send the production order and process sheet to the departments concerned (3.4)."""
    contract = get_contract(ctx.session, contract_id)
    if contract.status != "effective":
        raise EngineError(f"contract {contract.number} is not in effect")
    targets = [d if str(d).startswith("group:") else f"group:{d}" for d in dict.fromkeys(departments or [])]
    if not targets:
        raise EngineError("a production order needs at least one department")
    order = ProductionOrder(number=next_number(ctx.session, "SC", ProductionOrder, ctx.now), contract_id=contract.id,
                            departments=targets, issued_by=ctx.actor, issued_at=ctx.now, instance_id=ctx.instance_id)
    ctx.session.add(order)
    ctx.session.flush()
    terms = contract.terms or {}
    body = (f"合同 {contract.number}（{contract.customer}，{KIND_NAMES.get(contract.kind, contract.kind)}）已生效。"
            f"产品：{terms.get('products', '')}；数量：{terms.get('quantity', '')} {terms.get('unit', '')}；"
            f"交货期：{terms.get('delivery_date', '')}。请按合同条款组织实施。")
    for target in targets:
        notify(ctx, to=target, subject=f"生产任务单 {order.number} 及工艺单", body=body)
    return {"number": order.number, "contract_id": contract.id, "departments": targets,
            "issued_at": ctx.now.isoformat()}


