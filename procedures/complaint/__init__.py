"""顾客投诉处理 (complaint_handling): records, operators, labels, demo seed."""
from engine.extensions import RecordField

from . import calls, records  # noqa: F401 - their operators

PROCESSES = ("complaint_handling",)
RECORD_FIELDS = (
    RecordField("complaint_no", {"zh_CN": "投诉编号", "en": "Complaint number"}),
    RecordField("complaint_rec.number", {"zh_CN": "投诉编号", "en": "Complaint number"}),
    RecordField("call_rec.number", {"zh_CN": "来电记录单编号", "en": "Call record number"}),
)
TITLE_KEYS = ("customer",)
