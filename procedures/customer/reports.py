"""The sales blacklist as a list (报表) the market department files with the GM office (003 3.5a)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.extensions import Report, ReportColumn, as_utc

from .records import Customer, CustomerBlacklist

OUTCOMES = {"readmitted": "已重新准入（C类）", "refused": "到期未准入"}


def _status(entry: CustomerBlacklist, now: datetime) -> str:
    if entry.outcome:
        return OUTCOMES.get(entry.outcome, entry.outcome)
    return "已到期待评审" if as_utc(entry.expires_at) <= now else "在名单中"


def blacklist_rows(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every blacklist entry, newest first: who, why, from when to when, and where it stands."""
    found = session.execute(select(CustomerBlacklist, Customer.name)
                            .join(Customer, Customer.id == CustomerBlacklist.customer_id)
                            .order_by(CustomerBlacklist.listed_at.desc(), CustomerBlacklist.id.desc()))
    return [{"customer": name, "reason": entry.reason, "listed_at": entry.listed_at, "expires_at": entry.expires_at,
             "status": _status(entry, now), "lifted_at": entry.lifted_at, "instance_id": entry.instance_id}
            for entry, name in found]


BLACKLIST = Report(
    name="blacklist",
    titles={"zh_CN": "销售客户黑名单", "en": "Sales blacklist"},
    notes={"zh_CN": "市场部以报表形式上报总经办备案（003 客户管理制度 3.5a）；有效期6个月，到期经评审可重新准入为C类（3.5b）。",
                  "en": "Filed with the GM office as a list (003 3.5a); an entry lasts 6 months, after which the "
                        "customer may be re-admitted as grade C (3.5b)."},
    readers=("sales_manager", "gm", "gm_office"),
    columns=(ReportColumn("customer", {"zh_CN": "客户", "en": "Customer"}),
             ReportColumn("reason", {"zh_CN": "列入原因", "en": "Reason"}),
             ReportColumn("listed_at", {"zh_CN": "列入时间", "en": "Listed"}),
             ReportColumn("expires_at", {"zh_CN": "有效期至", "en": "Expires"}),
             ReportColumn("status", {"zh_CN": "状态", "en": "Status"}),
             ReportColumn("lifted_at", {"zh_CN": "移出时间", "en": "Lifted"}),
             ReportColumn("instance_id", {"zh_CN": "申请编号", "en": "Request"})),
    rows=blacklist_rows,
)
