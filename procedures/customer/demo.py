"""Demo customers, grade changes and admission reviews in flight: a downgrade, an upgrade and a new
customer's admission waiting for the sales head, a customer on the blacklist waiting for its expiry, and
a customer admitted with its region; the first half-yearly grade review, with customers waiting for the
salespeople's feedback and for the sales head's confirmation."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from ..demo import complete
from .records import import_customers

PROCESS = "grade_change"
ADMISSION = "customer_admission"
WORKFLOWS = Path(__file__).resolve().parent.parent.parent / "workflows"
CUSTOMERS = (("福州纺织集团", "A", "福州"), ("漳州织造厂", "A", "漳州"), ("泉州服饰有限公司", "B", "泉州"),
             ("厦门面料贸易公司", "C", "厦门"), ("宁德布业有限公司", "B", "宁德"), ("莆田鞋业有限公司", "D", "莆田"))


def _proposal(customer: str, kind: str, volume: int, **extra) -> dict:
    data = {"customer_name": customer, "kind": kind, "annual_volume": volume, "payment_record": "on_time",
            "default_record": "none", "reason": "2026年第四季度客户评价", "evidence": "年度对账单与回款记录"}
    data.update(extra)
    return data


def _application(customer: str, region: str, volume: int, proposed: str, **extra) -> dict:
    data = {"customer_name": customer, "region": region, "contact_person": "采购部 经理",
            "contact_phone": "0591-88990011", "company_profile": "成立于2015年，员工约200人，主营家纺面料",
            "operations": "近三年营业额稳定增长，无重大诉讼", "background_check": "营业执照、银行资信证明已核实",
            "annual_volume": volume, "payment_record": "on_time", "default_record": "none",
            "proposed_grade": proposed, "reason": "拟长期采购我司产品"}
    data.update(extra)
    return data


def seed(engine, clock_now: datetime) -> int:
    """Register the demo customers, start four grade changes, two admission reviews and the first grade review;
    returns how many were started."""
    if not engine.definitions(PROCESS):
        engine.deploy_paths([WORKFLOWS / "grade_rules.dmn", WORKFLOWS / "grade_change.bpmn"])
    if not engine.definitions(ADMISSION):
        engine.deploy_paths([WORKFLOWS / "customer_admission.bpmn"])
    import_customers(engine, list(CUSTOMERS))
    engine.start(PROCESS, "sunli", _proposal(
        "漳州织造厂", "downgrade", 2_400_000, proposed_grade="B", payment_record="late",
        found_at=(clock_now - timedelta(days=2)).replace(microsecond=0).isoformat(),
        reason="连续两个月付款不及时", evidence="应收账款账龄表：逾期45天"))
    engine.start(PROCESS, "zhoujie", _proposal(
        "泉州服饰有限公司", "upgrade", 3_400_000, proposed_grade="A",
        reason="评价阶段表现良好，愿意建立长期合作", evidence="全年按期付款，无违约记录"))
    listed = engine.start(PROCESS, "sunli", _proposal(
        "宁德布业有限公司", "blacklist", 800_000, default_record="some",
        reason="恶意拖欠货款并在行业内散布不实言论，造成重大损失和声誉损害", evidence="催款函、律师函及对账单"))
    complete(engine, listed.id, "zhaomin", None, {"decision": "approve", "verification": "经核实，欠款及不实言论属实",
                                         "validity_months": 6})
    engine.start(PROCESS, "zhoujie", _proposal(
        "莆田鞋业有限公司", "blacklist", 600_000, default_record="some",
        reason="提供虚假验收报告拒付货款，造成重大经济损失", evidence="验收单原件与复印件比对记录"))
    admitted = engine.start(ADMISSION, "zhoujie", _application("三明化纤厂", "三明", 1_800_000, "B"))
    complete(engine, admitted.id, "wujun", "review", {"decision": "admit", "grade": "B", "comment": "资信良好，按B类准入"})
    engine.start(ADMISSION, "sunli", _application("南平新材料有限公司", "南平", 600_000, "C",
                                                  purchase_channels="原从江苏供应商采购"))
    return 6 + _grade_review(engine)


def _grade_review(engine) -> int:
    """The half-yearly review as it starts at its first due time (the diagram's timer start event), one
    customer already fed back and waiting for the sales head; and a review a salesperson started for one
    customer by hand."""
    engine.deploy_paths([WORKFLOWS / "grade_review_customer.bpmn", WORKFLOWS / "grade_review.bpmn"])
    # the worker's round a minute after the due time
    started = engine.fire_scheduled_starts(engine.start_plan("grade_review").next_at + timedelta(minutes=1))
    review = next(i for i in engine.instances(limit=50) if i.process_id == "grade_review")
    feedback = next(t for t in engine.open_tasks(review.id) if t.bpmn_id == "feedback")
    engine.complete(feedback.id, "zhoujie", {"annual_volume": 3_200_000, "payment_record": "on_time",
                                             "default_record": "none", "remarks": "下半年新增两条产线的订单"})
    engine.start("grade_review_customer", "sunli", {"customer_name": "厦门面料贸易公司"})
    return started + 1
