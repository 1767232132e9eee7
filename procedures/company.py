"""`COMPANY`: the company's procedures assembled into one extension of the engine."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from engine.extensions import Extension

from . import complaint, contract, customer, survey, tour, visit
from .base import OPERATORS, Base
from .demo import USERS_FILE, load_demo

PROCEDURES = (tour, complaint, customer, contract, visit, survey)
PROCESSES = tuple(p for module in PROCEDURES for p in module.PROCESSES)
_TITLE_KEYS = tuple(dict.fromkeys(key for module in PROCEDURES for key in module.TITLE_KEYS))


def title(data: Mapping[str, Any]) -> str | None:
    """What a request is about: its customer, or the contract it concerns."""
    return next((str(data[key]) for key in _TITLE_KEYS if data.get(key)), None)


COMPANY = Extension(
    name="procedures",
    operators=OPERATORS,
    metadata=Base.metadata,
    migrations=Path(__file__).resolve().parent / "migrations" / "versions",
    title=title,
    record_fields=tuple(field for module in PROCEDURES for field in module.RECORD_FIELDS),
    lookups={name: source for module in PROCEDURES for name, source in getattr(module, "LOOKUPS", {}).items()},
    documents=tuple(document for module in PROCEDURES for document in getattr(module, "DOCUMENTS", ())),
    reports=tuple(report for module in PROCEDURES for report in getattr(module, "REPORTS", ())),
    demo=load_demo,
    # the tables of revisions 0002 and 0003 were created by the engine's own chain before this branch existed
    adopt_at={"0004": "0003", "0005": "0003"},
)
