"""客户参观审批 (tour_approval): records, operators, labels, demo seed."""
from engine.extensions import RecordField

from . import records  # noqa: F401 - its operators

PROCESSES = ("tour_approval",)
RECORD_FIELDS = (
    RecordField("permit_no", {"zh_CN": "许可编号", "en": "Permit number"}),
    RecordField("permit.permit_no", {"zh_CN": "许可编号", "en": "Permit number"}),
)
TITLE_KEYS = ("customer",)
