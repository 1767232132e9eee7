"""Timer values as the deploy check reads them: ISO 8601 durations, date-times and repeating intervals."""
from __future__ import annotations

import ast
import re

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

# ISO 8601, for timers. A number is digits with an optional decimal fraction (SpiffWorkflow reads "PT1.5H").
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (rf"P(?=[\dT])(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
             rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?")
_DATETIME = r"\d{4}-\d\d-\d\d(?:[T ]\d\d(?::\d\d(?::\d\d(?:[.,]\d+)?)?)?(?:Z|[+-]\d\d(?::?\d\d)?)?)?"
DURATION_RE = re.compile(_DURATION)
# a whole timer text that is an ISO value written without quotes: "P3D", "R6/P1D", "2026-12-01T09:00:00Z"
UNQUOTED_ISO_RE = re.compile(rf"(?:R\d*/)?(?:{_DURATION}|{_DATETIME})(?:/(?:{_DURATION}|{_DATETIME}))?")
# a Python name that is an ISO token: how "R6/P1D" or "R / PT1H" compile (names divided by names)
ISO_NAME_RE = re.compile(rf"R\d*|{_DURATION}")
TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")
TIMER_EXAMPLES = {"timeDuration": 'a duration such as "P3D" or "PT2H"',
                  "timeDate": 'a date-time such as "2026-12-01T09:00:00+08:00"',
                  "timeCycle": 'a repeating interval such as "R3/PT1H"'}


def looks_like_unquoted_iso(text: str) -> bool:
    """True for a timer written as a bare ISO 8601 value (`P3D`, `R6/P1D`), which Python reads as names."""
    if UNQUOTED_ISO_RE.fullmatch(text):
        return True
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return bool(names) and all(ISO_NAME_RE.fullmatch(n) for n in names) \
        and any(DURATION_RE.fullmatch(n) for n in names)


def timer_value_ok(tag: str, value) -> bool:
    """Whether a literal timer value is what its timer type needs, and SpiffWorkflow reads it."""
    if not isinstance(value, str) or not value:
        return False
    try:
        if tag == "timeDuration":
            return bool(DURATION_RE.fullmatch(value.upper())) \
                and TimerEventDefinition.parse_iso_duration(value) is not None
        if tag == "timeDate":
            return TimerEventDefinition.get_datetime(value) is not None
        parts = value.upper().replace("--", "/").split("/")
        if not re.fullmatch(r"R\d*", parts[0]) or len(parts) not in (2, 3):
            return False
        if any(p.startswith("P") and not DURATION_RE.fullmatch(p) for p in parts[1:]):
            return False
        return TimerEventDefinition.parse_iso_recurring_interval(value) is not None
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exception here
        return False
