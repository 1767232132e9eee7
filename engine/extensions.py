"""What a package of procedures adds to the engine, and the engine parts it may build on.

The engine is a generic BPMN runtime. A company's procedures come as an `Extension`: service-task
operators, tables with their own Alembic branch, a title rule, the identifiers its record panel shows,
its reports, and a demo seed. The application (web app factory, command line) hands its extensions to `Engine(...)`
and to `engine.db.upgrade(...)`; the engine never imports them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlalchemy import JSON, MetaData

from .clock import as_utc
from .directory import SYSTEM_USER
from .errors import EngineError, NotFound
from .reports import Report, ReportChart, ReportColumn
from .storage.models import UTCDateTime
from .runtime.operators import OperatorContext, notify

JSON_TYPES = {dict[str, Any]: JSON, list[Any]: JSON}

__all__ = ["Extension", "RecordField", "SYSTEM_USER", "OperatorContext", "EngineError", "NotFound", "UTCDateTime",
           "JSON_TYPES", "as_utc", "notify", "Report", "ReportChart", "ReportColumn"]


@dataclass(frozen=True)
class RecordField:
    """An identifier a request page shows when the instance's data holds it (a dotted path reaches into
    an operator's result), with its label in each language the UI speaks."""

    path: str
    labels: Mapping[str, str]  # locale ("zh_CN", "en") -> label


@dataclass(frozen=True)
class Extension:
    """A package of procedures, as the engine sees it."""

    name: str
    operators: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    metadata: MetaData | None = None              # its tables
    migrations: Path | None = None                # its Alembic versions folder (a branch of its own)
    title: Callable[[Mapping[str, Any]], str | None] | None = None  # what a request is about, from its start data
    record_fields: tuple[RecordField, ...] = ()
    reports: tuple[Report, ...] = ()              # lists and figures its readers look at and export
    demo: Callable[[Any], int] | None = None      # seed(engine) -> instances started
    # engine revision -> this branch's revision already applied at it (tables once made by the engine's chain)
    adopt_at: Mapping[str, str] = field(default_factory=dict)
