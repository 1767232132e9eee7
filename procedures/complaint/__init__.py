"""顾客投诉处理 (complaint_handling): records, operators, labels, demo seed."""
from pathlib import Path

from engine.extensions import Document, RecordField

from . import calls, records  # noqa: F401 - their operators

PROCESSES = ("complaint_handling",)
RECORD_FIELDS = (
    RecordField("complaint_no", {"zh_CN": "投诉编号", "en": "Complaint number"}),
    RecordField("complaint_rec.number", {"zh_CN": "投诉编号", "en": "Complaint number"}),
    RecordField("call_rec.number", {"zh_CN": "来电记录单编号", "en": "Call record number"}),
)
TITLE_KEYS = ("customer",)
DOCUMENTS = (
    Document("complaint_sheet", "complaint_handling", {"zh_CN": "客户投诉处理单", "en": "Complaint handling sheet"},
             Path(__file__).resolve().parent / "documents" / "handling.html",
             # only a complaint gets a handling sheet (002 第七条); a difficult enquiry has a 客户来电记录单 (6.1(5))
             lambda data: data.get("kind") == "complaint" and bool((data.get("complaint_rec") or {}).get("number")),
             {"zh_CN": "登记为投诉并编号后才有处理单；咨询和查询不填处理单。",
              "en": "The handling sheet exists for a registered complaint; consultations and queries have none."}),
)
