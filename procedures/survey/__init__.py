"""顾客满意度调查 (satisfaction_survey): the yearly survey's rounds and scores, its operators, labels, demo seed."""
from engine.extensions import RecordField

from . import records  # noqa: F401 - its operators
from .reports import SCORES

PROCESSES = ("satisfaction_survey",)
RECORD_FIELDS = (
    RecordField("period", {"zh_CN": "调查年度", "en": "Survey period"}),
    RecordField("scores.average", {"zh_CN": "平均满意度", "en": "Average satisfaction"}),
)
TITLE_KEYS = ()
REPORTS = (SCORES,)
