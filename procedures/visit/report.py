"""拜访计划与完成情况: per customer, the visits planned against the visits made, the last one and when the
next falls due (003 7.2a: A and B customers at least once every 2 months)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from engine.extensions import Report, ReportColumn

from ..customer.records import Customer
from .records import MADE, OPEN, VISITED_GRADES, CustomerVisit, VisitPlan, due_by, local_day

STATUS = {"on_time": "按期", "planned_late": "已到期，已安排拜访", "drafting": "已到期，计划编制中",
          "overdue": "已到期，未安排拜访", "not_required": "不要求定期拜访"}


def visit_rows(session: Session, now: datetime) -> list[dict[str, Any]]:
    """One row per A or B customer and per other customer with a visit, by region and name."""
    today = local_day(now)
    drafting = {c for listed in session.scalars(select(VisitPlan.listed).where(VisitPlan.planned_at.is_(None)))
                for c in listed or []}
    counts = (select(CustomerVisit.customer_id,
                     func.count().label("planned"),
                     func.sum(case((CustomerVisit.status.in_(MADE), 1), else_=0)).label("made"),
                     func.sum(case((CustomerVisit.status.in_(OPEN), 1), else_=0)).label("open"),
                     func.max(case((CustomerVisit.status.in_(MADE), CustomerVisit.visited_on))).label("last"),
                     func.min(case((CustomerVisit.status.in_(OPEN), CustomerVisit.planned_on))).label("next_planned"))
              .group_by(CustomerVisit.customer_id).subquery())
    stmt = (select(Customer, counts).outerjoin(counts, counts.c.customer_id == Customer.id)
            .where(or_(Customer.grade.in_(VISITED_GRADES), counts.c.planned > 0))
            .order_by(Customer.region, Customer.name))
    rows = []
    for customer, _id, planned, made, open_, last, next_planned in session.execute(stmt):
        required = customer.grade in VISITED_GRADES and not customer.blacklisted
        due = due_by(last, today) if required else None
        if not required:
            status = "not_required"
        elif due > today:
            status = "on_time"
        else:
            status = "planned_late" if open_ else "drafting" if customer.id in drafting else "overdue"
        rows.append({"customer": customer.name, "grade": customer.grade or "", "region": customer.region or "未划区域",
                     "planned": planned or 0, "made": made or 0, "open": open_ or 0,
                     "last_visited_on": last.isoformat() if last else "",
                     "next_planned_on": next_planned.isoformat() if next_planned else "",
                     "due_by": due.isoformat() if due else "", "status": STATUS[status]})
    return rows


def _col(key: str, zh: str, en: str) -> ReportColumn:
    return ReportColumn(key, {"zh_CN": zh, "en": en})


VISIT_REPORT = Report(
    name="visits",
    titles={"zh_CN": "客户拜访计划与完成情况", "en": "Visits planned and made per customer"},
    columns=(_col("customer", "客户", "Customer"), _col("grade", "等级", "Grade"), _col("region", "区域", "Region"),
             _col("planned", "计划拜访（次）", "Visits planned"), _col("made", "已拜访（次）", "Visits made"),
             _col("open", "待拜访（次）", "Visits to make"), _col("last_visited_on", "最近拜访", "Last visit"),
             _col("next_planned_on", "下次计划", "Next planned"), _col("due_by", "最迟应拜访", "Due by"),
             _col("status", "状态", "Status")),
    rows=visit_rows,
    readers=("cs_manager", "cs_staff", "sales_manager", "gm"),
    notes={"zh_CN": "A类和B类客户每2个月必须走访1次（003 客户管理制度 7.2a）；最迟应拜访日为最近一次拜访后满2个月，"
                    "从未拜访的为今天。",
           "en": "A and B customers are visited at least once every two months (003 7.2a); a visit is due two "
                 "months after the last one, today for a customer never visited."},
)
