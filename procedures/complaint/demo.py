"""Demo instances of 客户投诉处理: under investigation, at the responsible departments, a query, and a
difficult enquiry the departments concerned are studying."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from ..demo import complete
from ..samples import png

PROCESS = "complaint_handling"
BPMN = Path(__file__).resolve().parent.parent.parent / "workflows" / "complaint_handling.bpmn"


def _registration(received: datetime, customer: str, kind: str, content: str, **extra) -> dict:
    data = {"customer": customer, "contact": "张主任", "contact_phone": "0591-87654321", "channel": "phone",
            "received_at": received.replace(microsecond=0).isoformat(), "kind": kind, "content": content}
    data.update(extra)
    return data


def seed(engine, clock_now: datetime) -> int:
    """Start complaints and enquiries in flight (demo users from users.yaml); returns how many were started."""
    if not engine.definitions(PROCESS):
        engine.deploy_paths([BPMN])
    engine.start(PROCESS, "liuyang", _registration(
        clock_now - timedelta(hours=2), "福州纺织集团", "complaint", "对第118批面料的色牢度检测结果有异议",
        severity="general", product="订单 FZ-2026-118", demand="重新检测并书面答复"))
    major = engine.start(PROCESS, "chenjing", _registration(
        clock_now - timedelta(hours=1), "泉州服饰有限公司", "complaint",
        "检测报告数据错误，导致整批货物被海关退回", channel="visit", severity="major",
        product="报告 QZ-0932", demand="赔偿损失并出具更正报告"))
    complete(engine, major.id, "zhengkai", "investigate", {"investigation": "核对原始记录，发现录入错误",
                                          "cause": "报告录入未经复核", "responsible_dept": "technical"})
    engine.start(PROCESS, "chenjing", _registration(clock_now, "厦门面料贸易公司", "query",
                                                    "查询第205号样品的检测进度", channel="phone"))
    photos = [engine.stage_attachment(PROCESS, "liuyang", name, png(rgb)).id
              for name, rgb in (("色差-到货面料.png", (176, 58, 46)), ("色差-确认样.png", (192, 57, 43)))]
    quality = engine.start(PROCESS, "liuyang", _registration(
        clock_now - timedelta(hours=3), "莆田鞋业有限公司", "complaint", "到货面料有色差，与确认样不符",
        severity="general", product="订单 PT-2026-031", demand="退换色差面料", photos=photos))
    complete(engine, quality.id, "zhengkai", "investigate", {"investigation": "比对留样，色差超出允许范围",
                                          "cause": "出厂检验未对照确认样", "responsible_dept": "quality"})
    difficult = engine.start(PROCESS, "chenjing", _registration(
        clock_now - timedelta(hours=1), "福建运动服饰公司", "consultation", "出口欧盟的运动服面料需要哪些检测"))
    complete(engine, difficult.id, "chenjing", "reply", {
        "difficult": True, "question": "能否按欧盟 REACH 附录 XVII 检测偶氮染料并出具英文报告，周期多长",
        "departments": ["group:technical", "group:quality"]})
    return 5
