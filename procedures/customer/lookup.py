"""The customer register as a lookup: customer fields of every procedure pick from it (by name or code),
showing the grade and a blacklist warning; the people who deal with customers register a new one there."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.extensions import LookupItem, LookupSource, OperatorContext

from .records import Customer, current_blacklisting, ensure_customer

CODE_PREFIX = "KH-"
_CODE = re.compile(r"^(?:KH-?)?0*(\d{1,9})$", re.IGNORECASE)
# the groups that take applications from customers (tour, complaint, contract, grade change)
REGISTRARS = ("cs_staff", "cs_manager", "account_manager", "sales", "sales_manager")


def code_of(customer: Customer) -> str:
    """The customer's code (客户编号), e.g. KH-0007: its register number."""
    return f"{CODE_PREFIX}{customer.id:04d}"


def item(session: Session, customer: Customer, now: datetime) -> LookupItem:
    entry = current_blacklisting(session, customer.id) if customer.blacklisted else None
    grade = f"{customer.grade} 类客户" if customer.grade else "未定级"
    warning = ""
    if customer.blacklisted:
        until = entry.expires_at.date().isoformat() if entry else "—"
        # still out until re-admission is approved, even once the entry has run its time (003 3.5b)
        warning = (f"销售客户黑名单（已于 {until} 到期，待重新准入）" if entry and entry.expires_at <= now
                   else f"销售客户黑名单（至 {until}）")
    return LookupItem(
        value=customer.name, label=customer.name, summary=f"{code_of(customer)} · {grade}", warning=warning,
        details={"code": code_of(customer), "grade": customer.grade, "blacklisted": customer.blacklisted,
                 "blacklist_expires_at": entry.expires_at.isoformat() if entry else None})


def search(session: Session, text: str, limit: int, now: datetime) -> list[LookupItem]:
    """Customers whose name holds `text`, or whose code it is (KH-0007, 7); by name."""
    stmt = select(Customer).order_by(Customer.name, Customer.id).limit(limit)
    if text:
        wanted = [Customer.name.contains(text, autoescape=True)]
        code = _CODE.match(text)
        if code:
            wanted.append(Customer.id == int(code.group(1)))
        stmt = stmt.where(or_(*wanted))
    return [item(session, c, now) for c in session.scalars(stmt)]


def register(ctx: OperatorContext, name: str) -> LookupItem:
    """A new customer, without a grade until its first evaluation (an existing one as it is)."""
    return item(ctx.session, ensure_customer(ctx.session, name, ctx.now), ctx.now)


CUSTOMERS = LookupSource(search=search, register=register, registrars=REGISTRARS)
