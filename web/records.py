"""The business record an instance touched: identifiers picked out of its data by a small mapping."""
from __future__ import annotations

from typing import Any, Mapping

from flask_babel import lazy_gettext as _l

# Data key (a dotted path reaches into an operator's result) -> label. Extend as procedures add records.
RECORD_FIELDS = (
    ("permit_no", _l("Permit number")),
    ("permit.permit_no", _l("Permit number")),
    ("complaint_no", _l("Complaint number")),
    ("complaint_rec.number", _l("Complaint number")),
    ("contract_no", _l("Contract number")),
    ("contract_rec.number", _l("Contract number")),
    ("amendment_no", _l("Amendment number")),
    ("order_no", _l("Order number")),
    ("grade", _l("Customer grade")),
    ("new_grade", _l("New customer grade")),
    ("customer", _l("Customer")),
    ("customer_name", _l("Customer")),
)


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def record_of(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) for each identifier present; one line per label, first match wins."""
    out: dict[str, str] = {}
    for path, label in RECORD_FIELDS:
        value = _lookup(data, path)
        if value in (None, "") or isinstance(value, (dict, list)) or str(label) in out:
            continue
        out[str(label)] = str(value)
    return list(out.items())
