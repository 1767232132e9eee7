"""Reports an extension declares (a list or a table of figures, with an optional chart): who may read each,
and reading it for a page, the API or an export.

A report's rows come from its extension's own function over a read-only session; the engine knows only the
columns, the readers and how the chart is drawn. Reading is permission-checked like every read; an export
(the CSV that leaves the system) is also recorded in the system audit chain.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy.orm import Session

from .access import SEE_ALL_GROUPS
from .audit import SYSTEM_CHAIN
from .errors import NotAllowed, NotFound
from .storage.unit import Unit


@dataclass(frozen=True)
class ReportColumn:
    """One column: the key of each row's value, and its heading in each language the UI speaks."""

    key: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class ReportChart:
    """A chart over the rows: `x` along the axis, one series per value of `series` (None: one series),
    `y` the figure drawn."""

    kind: str  # "bar" | "line"
    x: str
    y: str
    series: str | None = None


@dataclass(frozen=True)
class Report:
    """A report an extension offers: its id, title, readers (groups), columns, rows and chart."""

    id: str
    labels: Mapping[str, str]
    readers: tuple[str, ...]
    columns: tuple[ReportColumn, ...]
    rows: Callable[[Session, datetime], list[dict[str, Any]]]
    chart: ReportChart | None = None
    descriptions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportView:
    """A report as read at `generated_at`: its declaration and its rows."""

    report: Report
    rows: tuple[dict[str, Any], ...]
    generated_at: datetime


def report_readers(report: Report) -> tuple[str, ...]:
    """The groups that may read a report: its own readers, process owners and auditors."""
    return tuple(dict.fromkeys((*report.readers, *SEE_ALL_GROUPS)))


class ReportReads:
    """Mixed into Engine; relies on its `extensions`, `session`, `_groups`, `_unit` and `now`."""

    def declared_reports(self) -> dict[str, Report]:
        """Every report of the extensions, by id, in the order they declare them (no database read)."""
        return {r.id: r for ext in self.extensions for r in ext.reports}

    def reports(self, user: str) -> list[Report]:
        """The reports the user may read, in the order the extensions declare them."""
        with self.session() as s:
            groups = self._groups(s, user)
        return [r for r in self.declared_reports().values() if groups & set(report_readers(r))]

    def report(self, report_id: str, user: str, export: bool = False) -> ReportView:
        """The report's rows now (NotFound for an unknown report, NotAllowed `not_a_reader` for a user outside
        its readers); an export is recorded in the system audit chain."""
        report = self.declared_reports().get(report_id)
        if report is None:
            raise NotFound(f"report {report_id} does not exist")
        if not export:
            with self.session() as s:
                self._check_report_reader(s, report, user)
                now = self.now()
                return ReportView(report, tuple(report.rows(s, now)), now)

        def work(unit: Unit) -> ReportView:
            self._check_report_reader(unit.session, report, user)
            rows = tuple(report.rows(unit.session, unit.now))
            unit.audit.append(kind="report_exported", actor=user, at=unit.now, chain=SYSTEM_CHAIN,
                              data={"report": report.id, "rows": len(rows)})
            return ReportView(report, rows, unit.now)
        return self._unit(user, work)

    def _check_report_reader(self, s: Session, report: Report, user: str) -> None:
        if not self._groups(s, user) & set(report_readers(report)):
            raise NotAllowed(f"{user} may not read the report {report.id}", "not_a_reader")
