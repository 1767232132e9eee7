"""Reports the extensions declare: who may read one, and its rows read at the engine's time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from .access import SEE_ALL_GROUPS
from .errors import NotAllowed, NotFound
from .extensions import Report


@dataclass(frozen=True)
class ReportView:
    report: Report
    rows: tuple[Mapping[str, Any], ...]
    at: datetime  # the time the rows were read at


class ReportReads:
    """Mixed into Engine; relies on its `extensions`, `session`, `_groups` and `now`."""

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

    def report(self, name: str, user: str) -> ReportView:
        """The report's rows now; NotFound for an unknown name, NotAllowed (`not_report_reader`) for others."""
        found = self._all_reports().get(name)
        if found is None:
            raise NotFound(f"no report named {name!r}", "no_report")
        now = self.now()
        with self.session() as s:
            if not _may_read(found, self._groups(s, user)):
                raise NotAllowed(f"{user} may not read the report {name!r}", "not_report_reader")
            return ReportView(found, tuple(found.rows(s, now)), now)


def _readers(report: Report) -> frozenset[str]:
    return frozenset(SEE_ALL_GROUPS).union(report.readers)


def _may_read(report: Report, groups: set[str]) -> bool:
    return bool(groups & _readers(report))
