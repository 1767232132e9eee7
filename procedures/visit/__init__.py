"""客户拜访 (customer_visit): the regional visit plan every four weeks, preparation, 客户拜访报告 and
follow-up; the report of visits planned and made per customer."""
from engine.extensions import RecordField

from . import records  # noqa: F401 - its operators
from .report import VISIT_REPORT

PROCESSES = ("customer_visit", "visit_plan")
RECORD_FIELDS = (
    RecordField("plan_id", {"zh_CN": "拜访计划编号", "en": "Visit plan"}),
)
TITLE_KEYS = ()
REPORTS = (VISIT_REPORT,)
