"""Reports the extensions declare: who may read one, and its rows read at the engine's time for a page, the
API or an export.

A report's rows come from its extension's own function over a read-only session; the engine knows only the
columns, the readers and how a chart is drawn. Reading is permission-checked like every read; an export
(rows that leave the system: a CSV file, the API, the command line) is also recorded in the system audit chain.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from .access import SEE_ALL_GROUPS
from .audit import SYSTEM_CHAIN
from .errors import NotAllowed, NotFound
from .extensions import Report
from .storage.unit import Unit


@dataclass(frozen=True)
class ReportView:
    report: Report
    rows: tuple[Mapping[str, Any], ...]
    at: datetime  # the time the rows were read at


class ReportReads:
    """Mixed into Engine; relies on its `extensions`, `session`, `_groups`, `_unit` and `now`."""

    def _all_reports(self) -> dict[str, Report]:
        return {r.name: r for ext in self.extensions for r in ext.reports}

    def report_readers(self) -> frozenset[str]:
        """Every group that may read some report (for a menu entry shown only to them)."""
        return frozenset().union(*(_readers(r) for r in self._all_reports().values()))

    def reports(self, user: str) -> list[Report]:
        """The reports the user may read, in the order the extensions declare them."""
        with self.session() as s:
            groups = self._groups(s, user)
        return [r for r in self._all_reports().values() if _may_read(r, groups)]

    def report(self, name: str, user: str, export: bool = False) -> ReportView:
        """The report's rows now; NotFound for an unknown name, NotAllowed (`not_report_reader`) for others.
        An export is recorded in the system audit chain (`report_exported`: who, which report, how many rows)."""
        found = self._all_reports().get(name)
        if found is None:
            raise NotFound(f"no report named {name!r}", "no_report")
        if not export:
            now = self.now()
            with self.session() as s:
                _check_reader(found, self._groups(s, user), user)
                return ReportView(found, tuple(found.rows(s, now)), now)

        def work(unit: Unit) -> ReportView:
            _check_reader(found, self._groups(unit.session, user), user)
            rows = tuple(found.rows(unit.session, unit.now))
            unit.audit.append(kind="report_exported", actor=user, at=unit.now, chain=SYSTEM_CHAIN,
                              data={"report": name, "rows": len(rows)})
            return ReportView(found, rows, unit.now)
        return self._unit(user, work)


def _readers(report: Report) -> frozenset[str]:
    return frozenset(SEE_ALL_GROUPS).union(report.readers)


def _may_read(report: Report, groups: set[str]) -> bool:
    return bool(groups & _readers(report))


def _check_reader(report: Report, groups: set[str], user: str) -> None:
    if not _may_read(report, groups):
        raise NotAllowed(f"{user} may not read the report {report.name!r}", "not_report_reader")
