"""Demo contracts in flight: a countersign waiting on production and finance, a stock contract at the
warehouse, and an effective contract whose amendment waits for the customer's signature."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from ..demo import complete
from ..samples import pdf

WORKFLOWS = Path(__file__).resolve().parent.parent.parent / "workflows"
CHECKS = dict.fromkeys(("req_in_contract", "quality_terms_match", "legal_requirements", "capability_and_risk",
                        "implied_needs", "differences_settled", "can_meet"), True)


def _review(now: datetime, customer: str, kind: str, **extra) -> dict:
    data = {"customer": customer, "products": "真丝提花领带 TX-01", "quantity": 5000, "unit": "条", "price": 250000,
            "delivery_date": (now + timedelta(days=45)).date().isoformat(), "quality_requirements": "符合 FZ/T 82002",
            "acceptance_method": "到货抽检 AQL 2.5", "warranty_terms": "质保一年，质量问题免费退换",
            "order_channel": "written", "contract_kind": kind}
    data.update(extra)
    return data



def _scanned(engine, user: str, data: dict) -> dict:
    """A written order's data with its contract scan uploaded, as the salesperson does on the form."""
    scan = engine.stage_attachment("contract_review", user, f"合同扫描件-{data['customer']}.pdf", pdf())
    return {**data, "contract_scan": [scan.id]}


def seed(engine, clock_now: datetime) -> int:
    """Start four instances (demo users from users.yaml); returns how many were started."""
    if not engine.definitions("contract_review"):
        engine.deploy_paths([WORKFLOWS / "contract_review.bpmn"])
    if not engine.definitions("contract_amendment"):
        engine.deploy_paths([WORKFLOWS / "contract_amendment.bpmn"])
    engine.start("contract_review", "sunli", _scanned(engine, "sunli", _review(
        clock_now, "福州纺织集团", "routine", countersigners=["group:production", "group:finance"])))
    stock = engine.start("contract_review", "zhoujie", _scanned(engine, "zhoujie", _review(
        clock_now, "厦门面料贸易公司", "stock", products="素色领带 SD-05", quantity=800, price=24000)))
    complete(engine, stock.id, "zhoujie", "sign_note_sales", {"delivery_note_number": "CK-2026-0318", "signed": True})

    signed = engine.start("contract_review", "sunli", _scanned(engine, "sunli", _review(
        clock_now, "泉州服饰有限公司", "routine", countersigners=["group:production", "group:quality"])))
    complete(engine, signed.id, "fenggang", "countersign", {"decision": "approve", **CHECKS})
    complete(engine, signed.id, "xuhui", "countersign", {"decision": "approve", **CHECKS})
    complete(engine, signed.id, "sunli", "sign_contract", {
        "signed_on": clock_now.date().isoformat(), "dispatch_to": ["group:production", "group:technical"]})
    number = engine.data(signed.id)["contract_no"]
    amendment = engine.start("contract_amendment", "sunli", {
        "contract_no": number, "requested_by": "customer", "change": "数量由5000条增至6000条",
        "reason": "客户年底促销追加订单", "new_quantity": 6000})
    complete(engine, amendment.id, "wujun", "sign_company", {"decision": "approve",
                                                              "signed_on": clock_now.date().isoformat()})
    return 4
