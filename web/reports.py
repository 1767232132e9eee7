"""Reports the registered procedures declare (Extension.reports): a table on a page (with a chart where the
report draws one) and a CSV file; the menu shows 报表 only to the groups that may read some report."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from engine import ReportView

from .csvout import csv_response
from .engine_access import get_engine
from .i18n import localized as label
from .present import when

bp = Blueprint("reports", __name__, url_prefix="/reports")


def shown(value: Any) -> str:
    """A cell as people read it: times in their time zone, dates as dates, nothing for empty."""
    if isinstance(value, datetime):
        return when(value, "short")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def chart_data(view: ReportView) -> dict[str, Any] | None:
    """The chart's labels and one data set per series, for the page's script (None: no chart)."""
    chart = view.report.chart
    if chart is None or not view.rows:
        return None
    xs = list(dict.fromkeys(str(r[chart.x]) for r in view.rows))
    names = list(dict.fromkeys(str(r[chart.series]) for r in view.rows)) if chart.series else [""]
    values = {(str(r[chart.x]), str(r[chart.series]) if chart.series else ""): r[chart.y] for r in view.rows}
    y_label = next((label(c.labels) for c in view.report.columns if c.key == chart.y), chart.y)
    return {"kind": chart.kind, "labels": xs, "y_label": y_label,
            "datasets": [{"label": name or y_label, "data": [values.get((x, name)) for x in xs]} for name in names]}


@bp.app_context_processor
def _readers() -> dict:
    if not current_user.is_authenticated:
        return {"report_readers": ()}
    return {"report_readers": tuple(get_engine().report_readers())}


def report_csv(view: ReportView):
    columns = view.report.columns
    stamp = view.at.strftime("%Y%m%d-%H%M%S")
    return csv_response([label(c.labels) for c in columns],
                        ([shown(row.get(c.key)) for c in columns] for row in view.rows),
                        f"{view.report.name}-{stamp}.csv")


@bp.get("/")
def index():
    return render_template("reports/index.html", reports=get_engine().reports(current_user.username), label=label)


@bp.get("/<name>")
def show(name: str):
    view = get_engine().report(name, current_user.username)
    return render_template("reports/show.html", view=view, label=label, shown=shown, chart=chart_data(view))


@bp.get("/<name>.csv")
def export(name: str):
    return report_csv(get_engine().report(name, current_user.username, export=True))
