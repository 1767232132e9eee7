"""客户等级变更与黑名单 (grade_change), 客户准入评审 (customer_admission) and the half-yearly grade review
(grade_review, calling grade_review_customer for each customer), with the grade rules in grade_rules.dmn: the
customer register, its operators, labels, reports, demo seed."""
from pathlib import Path

from engine.extensions import Document, RecordField

from . import admission, records  # noqa: F401 - their operators
from .lookup import CUSTOMERS
from .reports import BLACKLIST

PROCESSES = ("grade_change", "customer_admission", "grade_review", "grade_review_customer")
RECORD_FIELDS = (
    RecordField("grade", {"zh_CN": "客户等级", "en": "Customer grade"}),
    # what was asked for, and (only once approved and written to the register) what the customer now is
    RecordField("proposed_grade", {"zh_CN": "申请调整为", "en": "Grade asked for"}),
    RecordField("grade_change.to_grade", {"zh_CN": "新客户等级", "en": "New customer grade"}),
    RecordField("admitted.grade", {"zh_CN": "准入等级", "en": "Grade on admission"}),
    RecordField("customer", {"zh_CN": "客户", "en": "Customer"}),
    RecordField("customer_name", {"zh_CN": "客户", "en": "Customer"}),
    RecordField("period", {"zh_CN": "评审期", "en": "Review period"}),
    RecordField("new_grade", {"zh_CN": "评审等级", "en": "Grade after review"}),
)
TITLE_KEYS = ("customer", "customer_name")
LOOKUPS = {"customer": CUSTOMERS}
DOCUMENTS = (
    Document("grade_sheet", "grade_change", {"zh_CN": "客户等级调整表", "en": "Customer grade change sheet"},
             Path(__file__).resolve().parent / "documents" / "grade.html",
             # the register's entry is read at the first step: from then on the sheet has its current grade
             lambda data: isinstance(data.get("customer"), dict),
             {"zh_CN": "申请提交并读取客户名册后才有调整表。",
              "en": "The sheet exists once the request has read the customer register."}),
)
REPORTS = (BLACKLIST,)
