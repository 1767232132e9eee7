"""Business records: contract amendments (合同修改申请单), 001 与顾客有关的管理控制程序 3.5.

Whoever asks for a change fills the request, both parties sign, the changed contract goes through the
same review as the original (the contract_review process, called), and the outcome is written here.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.extensions import EngineError, OperatorContext

from ..base import Base, day, operator
from .records import find_contract, get_contract

# The terms an amendment may change by value; anything else is described in the `change` text.
CHANGEABLE = ("quantity", "price", "delivery_date")


class ContractAmendment(Base):
    """One change request against an effective contract and how it ended."""

    __tablename__ = "contract_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str] = mapped_column(String(10))  # customer | company
    change: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    company_signed_on: Mapped[date | None]
    company_signer: Mapped[str | None] = mapped_column(String(80))
    customer_signed_on: Mapped[date | None]
    customer_signatory: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))  # pending | passed | refused | withdrawn
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    instance_id: Mapped[int | None] = mapped_column(Integer)


def _amendment(ctx: OperatorContext, amendment_id: int) -> ContractAmendment:
    row = ctx.session.get(ContractAmendment, int(amendment_id))
    if row is None:
        raise EngineError(f"amendment {amendment_id} does not exist")
    return row


@operator("contract_open_amendment")
def contract_open_amendment(ctx: OperatorContext, number: str, requested_by: str, change: str, reason: str,
                            changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """File a change request against an effective contract; returns the contract with the changes applied."""
    contract = find_contract(ctx.session, (number or "").strip())
    if contract is None or contract.status != "effective":
        state = "不存在" if contract is None else "尚未生效"
        return {"ok": False, "problem": f"合同 {number} {state}，不能提出修改", "amendment_id": None}
    changes = {k: v for k, v in (changes or {}).items() if k in CHANGEABLE and v not in (None, "")}
    row = ContractAmendment(contract_id=contract.id, requested_by=requested_by, change=change, reason=reason,
                            changes=changes, outcome="pending", created_by=ctx.actor, created_at=ctx.now,
                            instance_id=ctx.instance_id)
    ctx.session.add(row)
    ctx.session.flush()
    terms = {**(contract.terms or {}), **changes}
    return {"ok": True, "problem": "", "amendment_id": row.id, "contract_id": contract.id,
            "customer": contract.customer, "kind": contract.kind, "channel": contract.channel, "terms": terms}


@operator("contract_amendment_signed")
def contract_amendment_signed(ctx: OperatorContext, amendment_id: int, party: str, signed_on: str,
                              signatory: str = "") -> dict[str, Any]:
    """Record one party's signature on the request: the company (the acting head) or the customer."""
    row = _amendment(ctx, amendment_id)
    if party == "company":
        row.company_signed_on, row.company_signer = day(signed_on), signatory or ctx.actor
    elif party == "customer":
        row.customer_signed_on, row.customer_signatory = day(signed_on), signatory
    else:
        raise EngineError(f"unknown party {party!r}")
    ctx.session.flush()
    return {"amendment_id": row.id, "party": party, "signed_on": signed_on}


@operator("contract_close_amendment")
def contract_close_amendment(ctx: OperatorContext, amendment_id: int, outcome: str,
                             terms: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write how the amendment ended; a passed re-review changes the contract's terms (3.5.1)."""
    if outcome not in ("passed", "refused", "withdrawn"):
        raise EngineError(f"unknown amendment outcome {outcome!r}")
    row = _amendment(ctx, amendment_id)
    if row.outcome != "pending":
        raise EngineError(f"amendment {row.id} is already {row.outcome}")
    row.outcome, row.decided_at = outcome, ctx.now
    contract = get_contract(ctx.session, row.contract_id)
    if outcome == "passed":
        if terms is not None:
            contract.terms = dict(terms)
        contract.review_outcome, contract.reviewed_at = "passed", ctx.now
    ctx.session.flush()
    return {"amendment_id": row.id, "outcome": outcome, "contract_id": contract.id, "number": contract.number}
