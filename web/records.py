"""The business record an instance touched: the identifiers its procedure names, picked out of its data."""
from __future__ import annotations

from typing import Any, Mapping

from engine import lookup_path

from .engine_access import get_engine
from .i18n import localized


def record_of(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) for each identifier present; one line per label, first match wins."""
    out: dict[str, str] = {}
    for ext in get_engine().extensions:
        for field in ext.record_fields:
            value, shown = lookup_path(data, field.path), localized(field.labels)
            if value in (None, "") or isinstance(value, (dict, list)) or shown in out:
                continue
            out[shown] = str(value)
    return list(out.items())
