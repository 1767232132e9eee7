"""客户参观审批 (tour_approval): records, operators, labels, demo seed."""
from pathlib import Path

from engine.extensions import Document, RecordField

from . import records  # noqa: F401 - its operators

PROCESSES = ("tour_approval",)
RECORD_FIELDS = (
    RecordField("permit_no", {"zh_CN": "许可编号", "en": "Permit number"}),
    RecordField("permit.permit_no", {"zh_CN": "许可编号", "en": "Permit number"}),
)
TITLE_KEYS = ("customer",)
_HERE = Path(__file__).resolve().parent / "documents"


def _permitted(data) -> bool:
    return bool((data.get("permit") or {}).get("permit_no"))


_NOT_YET = {"zh_CN": "参观申请获批并编出许可编号后才有此单据。",
            "en": "This document exists once the tour is approved and has a permit number."}
DOCUMENTS = (
    Document("tour_permit", "tour_approval", {"zh_CN": "客户参观许可证", "en": "Customer tour permit"},
             _HERE / "permit.html", _permitted, _NOT_YET),
    Document("tour_notice", "tour_approval", {"zh_CN": "参观通知单", "en": "Tour notice"},
             _HERE / "notice.html", _permitted, _NOT_YET),
)
