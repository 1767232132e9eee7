"""Demo instances of 客户参观审批: waiting for the CS manager, the GM, the account manager, the gate, the
host's record after the visit, and the CS department's consent to publish a tour's photographs."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from ..demo import complete

PROCESS = "tour_approval"
BPMN = Path(__file__).resolve().parent.parent.parent / "workflows" / "tour_approval.bpmn"


def _application(now: datetime, tour_type: str, days: float, customer: str, **extra) -> dict:
    data = {"customer": customer, "contact_person": "王经理", "contact_phone": "13800138000",
            "tour_type": tour_type, "tour_start": (now + timedelta(days=days)).replace(microsecond=0).isoformat(),
            "visitors": 6, "purpose": "考察生产线与质量控制流程", "areas": ["showroom", "workshop"],
            "photo_requested": False, "special_case": False}
    data.update(extra)
    return data



def seed(engine, clock_now: datetime) -> int:
    """Start tours in flight (demo users from users.yaml); returns how many were started."""
    if not engine.definitions(PROCESS):
        engine.deploy_paths([BPMN])
    engine.start(PROCESS, "liuyang", _application(
        clock_now, "key", 5, "福州纺织集团", visitors=8, photo_requested=True,
        photo_reason="拍摄新生产线，用于双方联合推广"))
    group = engine.start(PROCESS, "chenjing", _application(clock_now, "group", 7, "省服装行业协会", visitors=25,
                                                           areas=["showroom", "lab"]))
    complete(engine, group.id, "zhangwei", "cs_review", {
        "decision": "approve", "tour_content": "面料检测流程介绍", "tour_scope": "产品展厅、质检实验室",
        "tour_route": "展厅→质检实验室→会议室"})
    ordinary = engine.start(PROCESS, "liuyang", _application(clock_now, "ordinary", 2, "厦门面料贸易公司",
                                                             visitors=3, areas=["showroom"]))
    complete(engine, ordinary.id, "lina", "am_approve", {"decision": "approve", "comment": "老客户，同意"})
    engine.start(PROCESS, "chenjing", _application(clock_now, "temporary", 0.5, "莆田鞋业有限公司", visitors=2,
                                                   areas=["showroom"], purpose="临时来访，了解新面料"))
    visited = engine.start(PROCESS, "liuyang", _application(clock_now, "ordinary", 1.5, "漳州织造厂", visitors=4,
                                                            areas=["showroom"]))
    complete(engine, visited.id, "lina", "am_approve", {"decision": "approve"})
    complete(engine, visited.id, "maliang", "gate", {"arrived": True, "badges_issued": 4})
    photographed = engine.start(PROCESS, "chenjing", _application(
        clock_now, "key", 3.5, "晋江运动品牌集团", photo_requested=True, photo_reason="拍摄联合开发面料的生产过程"))
    complete(engine, photographed.id, "zhangwei", "cs_review", {
        "decision": "approve", "tour_content": "联合开发面料生产过程", "tour_scope": "织造车间",
        "tour_route": "展厅→织造车间", "photo_opinion": "有助于联合推广，建议同意"})
    complete(engine, photographed.id, "wangqiang", "gm_photo", {"decision": "approve", "photo_decision": "consent"})
    complete(engine, photographed.id, "zhangwei", "designate", {"photographer": "陈静"})
    complete(engine, photographed.id, "maliang", "gate", {"arrived": True, "badges_issued": 6})
    complete(engine, photographed.id, "chenjing", "done", {
        "took_place": True, "badges_returned": True, "publish_requested": True,
        "publish_medium": "公司网站与展会展板", "publish_purpose": "展示与重点客户联合开发的新面料"})
    return 6
