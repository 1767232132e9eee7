"""What a package of procedures adds to the engine, and the engine parts it may build on.

The engine is a generic BPMN runtime. A company's procedures come as an `Extension`: service-task
operators, tables with their own Alembic branch, a title rule, the identifiers its record panel shows,
the registers its form fields pick from (lookups), the paper documents its requests produce, its reports, and a
demo seed. The application (web app factory, command line) hands its extensions to `Engine(...)`
and to `engine.db.upgrade(...)`; the engine never imports them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlalchemy import JSON, MetaData

from .clock import as_utc, company_zone
from .directory import SYSTEM_USER, groups_of
from .errors import EngineError, NotFound
from .storage.models import UTCDateTime
from .runtime.operators import OperatorContext, notify

JSON_TYPES = {dict[str, Any]: JSON, list[Any]: JSON}

__all__ = ["Document", "Extension", "LookupItem", "LookupSource", "RecordField", "Report", "ReportChart",
           "ReportColumn", "SYSTEM_USER", "OperatorContext", "EngineError", "NotFound", "UTCDateTime", "JSON_TYPES",
           "as_utc", "company_zone", "notify", "groups_of"]


@dataclass(frozen=True)
class RecordField:
    """An identifier a request page shows when the instance's data holds it (a dotted path reaches into
    an operator's result), with its label in each language the UI speaks."""

    path: str
    labels: Mapping[str, str]  # locale ("zh_CN", "en") -> label


@dataclass(frozen=True)
class LookupItem:
    """One entry of a register a form field picks from."""

    value: str                       # what the field holds once picked
    label: str                       # what people read
    details: Mapping[str, Any] = field(default_factory=dict)  # machine-readable facts (code, grade, ...)
    summary: str = ""                # one line people read beside the label
    warning: str = ""                # what nobody may miss when picking it (e.g. on the blacklist)


@dataclass(frozen=True)
class LookupSource:
    """A register form fields pick from (UI schema `"ui:widget": "lookup"`, `"ui:options": {"lookup": name}`).

    `search(session, text, limit, now)` finds entries by name or code; `register(ctx, label)` adds one
    (an audited unit of work) for members of `registrars`; without it nothing is added from a picker."""

    search: Callable[[Any, str, int, Any], list[LookupItem]]
    register: Callable[[OperatorContext, str], LookupItem] | None = None
    registrars: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """A paper document a procedure's request produces (a permit, a review sheet), once it exists."""

    name: str                        # unique across extensions, used in URLs
    process_id: str
    titles: Mapping[str, str]        # locale -> title, e.g. 《参观许可证》
    template: Path                   # a Jinja template of the document's table (fields from the request data)
    ready: Callable[[Mapping[str, Any]], bool]  # whether the request's data has reached the point it exists
    pending: Mapping[str, str]       # locale -> why it does not exist yet, said to whoever asks too early


@dataclass(frozen=True)
class ReportColumn:
    """One column of a report: the row key it shows, labelled in each UI language."""

    key: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class ReportChart:
    """A chart drawn over a report's rows (the table stays below it): `x` along the axis, `y` the figure
    drawn, one series per value of `series` (None: a single series)."""

    kind: str  # "bar" | "line"
    x: str
    y: str
    series: str | None = None


@dataclass(frozen=True)
class Report:
    """A table a procedure keeps in its records that people read on a page (with a chart where it draws one)
    and export as CSV.

    `rows(session, now)` reads it in a read-only session; `readers` are the groups that may read it
    besides process owners and auditors."""

    name: str                                  # its address: /reports/<name>
    titles: Mapping[str, str]                  # locale -> title
    columns: tuple[ReportColumn, ...]
    rows: Callable[[Any, Any], list[Mapping[str, Any]]]
    readers: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)  # locale -> what it shows and where the rule comes from
    chart: ReportChart | None = None


@dataclass(frozen=True)
class Extension:
    """A package of procedures, as the engine sees it."""

    name: str
    operators: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    metadata: MetaData | None = None              # its tables
    migrations: Path | None = None                # its Alembic versions folder (a branch of its own)
    title: Callable[[Mapping[str, Any]], str | None] | None = None  # what a request is about, from its start data
    record_fields: tuple[RecordField, ...] = ()
    lookups: Mapping[str, LookupSource] = field(default_factory=dict)
    documents: tuple[Document, ...] = ()
    reports: tuple[Report, ...] = ()              # tables its readers look at and export
    demo: Callable[[Any], int] | None = None      # seed(engine) -> instances started
    # engine revision -> this branch's revision already applied at it (tables once made by the engine's chain)
    adopt_at: Mapping[str, str] = field(default_factory=dict)
