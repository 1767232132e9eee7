"""客户拜访 (customer_visit): the regional visit plan, each planned visit and its 客户拜访报告.

Sources: 003 客户管理制度 7.2a (A and B customers visited at least once every 2 months), 7.3 (客户拜访报告);
000 企业客户关系管理制度1 第三条-第八条 (plan and preparation), 第十六条 (report and promises kept),
制度2 第三条、第十一条 (the CS manager owns the regional plan: customer, purpose, region, date, order).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.extensions import EngineError, OperatorContext, company_zone, groups_of, notify

from ..base import Base, day, operator
from ..customer.admission import admission_status
from ..customer.records import Customer, add_months, find_customer

VISITED_GRADES = ("A", "B")   # 003 7.2a: 对于A类和B类客户应做到每2个月必须走访1次
VISIT_EVERY_MONTHS = 2
VISITOR_GROUP = "cs_staff"     # 000 制度2 第三条: 客户服务人员 carry out the plan
OPEN = ("planned", "prepared")  # a visit still to be made
MADE = ("reported", "done")     # a visit made (done: its follow-up too)


class VisitPlan(Base):
    """One planning round (客户拜访计划) of the CS manager: which customers, by whom, when."""

    __tablename__ = "visit_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    made_at: Mapped[datetime]
    horizon: Mapped[date] = mapped_column(Date)           # plans the visits falling due up to this day
    listed: Mapped[list[Any]] = mapped_column(default=list)  # the customers (ids) the round put forward
    planned_by: Mapped[str | None] = mapped_column(String(80))
    planned_at: Mapped[datetime | None]                       # None while the CS manager is planning
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)


class CustomerVisit(Base):
    """One planned visit, its preparation, its 客户拜访报告 and its follow-up."""

    __tablename__ = "customer_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a visit asked for by hand, outside the plan
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("visit_plan.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = mapped_column(String(50))
    visitor: Mapped[str] = mapped_column(String(80))     # a username, or group:cs_staff when nobody is named
    planned_on: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer, default=1)  # 拜访顺序 within the region
    purpose: Mapped[str] = mapped_column(Text)
    due_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)  # planned | prepared | reported | done
    preparation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    visited_on: Mapped[date | None] = mapped_column(Date)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    follow_up: Mapped[str] = mapped_column(Text, default="")
    follow_up_result: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)


def last_visits(session: Session) -> dict[int, date]:
    """customer id -> the day of its latest visit made."""
    rows = session.execute(select(CustomerVisit.customer_id, func.max(CustomerVisit.visited_on))
                           .where(CustomerVisit.status.in_(MADE)).group_by(CustomerVisit.customer_id))
    return {customer_id: visited for customer_id, visited in rows if visited}


def local_day(moment: datetime) -> date:
    """The company's date at a moment (Asia/Shanghai by default): visits are planned by the day people see."""
    return moment.astimezone(company_zone()).date()


def due_by(last: date | None, today: date) -> date:
    """When the next visit is due: two calendar months after the last one (today when never visited)."""
    return add_months(datetime.combine(last, datetime.min.time()), VISIT_EVERY_MONTHS).date() if last else today


def admitted_customer(session: Session, name: Any) -> Customer | None:
    """The customer of that name when it was admitted (in the register with a grade, not blacklisted)."""
    customer = find_customer(session, str(name or "").strip())
    return customer if admission_status(customer) == "admitted" else None


def _visit(session: Session, visit_id: int) -> CustomerVisit:
    visit = session.get(CustomerVisit, int(visit_id))
    if visit is None:
        raise EngineError(f"visit {visit_id} does not exist")
    return visit


@operator("list_due_visits")
def list_due_visits(ctx: OperatorContext, horizon_days: int) -> dict[str, Any]:
    """Open a planning round: every A and B customer whose visit falls due within `horizon_days` and has
    no visit planned yet (nor put forward by a round still being planned), by region, as the CS
    manager's draft plan (003 7.2a; 000 制度2 第十一条1)."""
    today = local_day(ctx.now)
    horizon = today + timedelta(days=int(horizon_days))
    plan = VisitPlan(made_at=ctx.now, horizon=horizon, instance_id=ctx.instance_id)
    ctx.session.add(plan)
    ctx.session.flush()
    planned = set(ctx.session.scalars(select(CustomerVisit.customer_id).where(CustomerVisit.status.in_(OPEN))))
    for drafted in ctx.session.scalars(select(VisitPlan.listed).where(VisitPlan.planned_at.is_(None))):
        planned.update(drafted or [])  # put forward by a round still being planned
    last = last_visits(ctx.session)
    customers = ctx.session.scalars(select(Customer).where(Customer.grade.in_(VISITED_GRADES),
                                                           Customer.blacklisted.is_(False)))
    rows = []
    for customer in customers:
        due = due_by(last.get(customer.id), today)
        if customer.id in planned or due > horizon:
            continue
        rows.append({"customer": customer.name, "grade": customer.grade, "region": customer.region or "未划区域",
                     "last_visited_on": last[customer.id].isoformat() if customer.id in last else "",
                     "due_by": due.isoformat(), "planned_on": max(due, today).isoformat(), "visitor": "",
                     "purpose": "定期走访：了解需求、听取意见和建议、传达新产品与公司政策", "customer_id": customer.id})
    rows.sort(key=lambda r: (r["region"], r["due_by"], r["customer"]))
    per_region: dict[str, int] = {}
    for row in rows:  # 拜访顺序: the order within the region, earliest due first
        per_region[row["region"]] = row["sequence"] = per_region.get(row["region"], 0) + 1
    plan.listed = [row.pop("customer_id") for row in rows]
    return {"plan_id": plan.id, "visits": rows, "horizon": horizon.isoformat()}


@operator("save_visit_plan")
def save_visit_plan(ctx: OperatorContext, plan_id: int, visits: list[dict[str, Any]], planned_by: str) -> list[dict]:
    """Keep the CS manager's plan: one `customer_visit` per row; a row whose visitor is not in the CS staff
    goes to the whole group, so no visit waits on nobody, and a row naming no admitted customer is left
    out and the manager told. Returns the visits the round then runs."""
    plan = ctx.session.get(VisitPlan, int(plan_id))
    if plan is None:
        raise EngineError(f"visit plan {plan_id} does not exist")
    plan.planned_by, plan.planned_at = planned_by, ctx.now
    last, today, out, left_out = last_visits(ctx.session), local_day(ctx.now), [], []
    for row in visits:
        customer = admitted_customer(ctx.session, row.get("customer"))
        if customer is None:
            left_out.append(str(row.get("customer") or ""))
            continue
        visitor = str(row.get("visitor") or "").strip()
        if not visitor or VISITOR_GROUP not in groups_of(ctx.session, visitor):
            visitor = f"group:{VISITOR_GROUP}"
        visit = CustomerVisit(plan_id=plan.id, customer_id=customer.id, region=str(row.get("region") or "未划区域"),
                              visitor=visitor, planned_on=day(row.get("planned_on")) or today,
                              sequence=int(row.get("sequence") or 1), purpose=str(row.get("purpose") or ""),
                              due_by=due_by(last.get(customer.id), today), status="planned",
                              instance_id=ctx.instance_id)
        ctx.session.add(visit)
        ctx.session.flush()
        out.append(_as_data(visit, customer))
    if left_out:
        notify(ctx, planned_by, "拜访计划中有客户未列入：" + "、".join(left_out),
               "这些名称不是已准入（已定级）的客户，未安排拜访；请核对客户名称，或先发起客户准入评审（003 客户管理制度 6.1）。")
    return out


def _as_data(visit: CustomerVisit, customer: Customer) -> dict[str, Any]:
    return {"visit_id": visit.id, "customer": customer.name, "grade": customer.grade, "region": visit.region,
            "visitor": visit.visitor, "planned_on": visit.planned_on.isoformat(), "sequence": visit.sequence,
            "purpose": visit.purpose, "due_by": visit.due_by.isoformat()}


@operator("open_visit")
def open_visit(ctx: OperatorContext, visit: dict[str, Any]) -> dict[str, Any]:
    """The visit a request carries out: the planned one, or one registered now for a visit asked for by
    hand. A customer not admitted (not in the register with a grade) gets no visit: `known` is False."""
    if visit.get("visit_id"):
        return {**visit, "known": True}
    customer = admitted_customer(ctx.session, visit.get("customer"))
    if customer is None:
        return {**visit, "known": False}
    today = local_day(ctx.now)
    row = CustomerVisit(plan_id=None, customer_id=customer.id, region=customer.region or "未划区域",
                        visitor=str(visit.get("visitor") or f"group:{VISITOR_GROUP}"),
                        planned_on=day(visit.get("planned_on")) or today, sequence=1,
                        purpose=str(visit.get("purpose") or ""),
                        due_by=due_by(last_visits(ctx.session).get(customer.id), today),
                        status="planned", instance_id=ctx.instance_id)
    ctx.session.add(row)
    ctx.session.flush()
    return {**_as_data(row, customer), "known": True}


@operator("record_visit_preparation")
def record_visit_preparation(ctx: OperatorContext, visit_id: int, preparation: dict[str, Any]) -> str:
    """The visitor is prepared (000 制度1 第三条-第七条)."""
    visit = _visit(ctx.session, visit_id)
    visit.preparation, visit.status = dict(preparation or {}), "prepared"
    return visit.status


@operator("record_visit_report")
def record_visit_report(ctx: OperatorContext, visit_id: int, visited_on: str, report: dict[str, Any],
                        follow_up: str = "") -> str:
    """The 客户拜访报告 (003 7.3; 000 制度1 第十六条1); with nothing promised the visit is done."""
    visit = _visit(ctx.session, visit_id)
    visit.visited_on, visit.report, visit.reported_at = day(visited_on), dict(report or {}), ctx.now
    visit.follow_up = follow_up or ""
    visit.status = "reported" if visit.follow_up else "done"
    if visit.status == "done":
        visit.closed_at = ctx.now
    return visit.status


@operator("close_visit_follow_up")
def close_visit_follow_up(ctx: OperatorContext, visit_id: int, result: str) -> str:
    """The promises made to the customer were kept (000 制度1 第十六条2)."""
    visit = _visit(ctx.session, visit_id)
    if visit.status != "reported":
        raise EngineError(f"visit {visit_id} has no follow-up open")
    visit.follow_up_result, visit.status, visit.closed_at = result or "", "done", ctx.now
    return visit.status
