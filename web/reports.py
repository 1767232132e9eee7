"""Reports the registered procedures declare (Extension.reports): a table on a page and a CSV file."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from engine import ReportView

from .csvout import csv_response
from .engine_access import get_engine
from .records import label

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.app_context_processor
def _readers() -> dict:
    if not current_user.is_authenticated:
        return {"report_readers": ()}
    return {"report_readers": tuple(get_engine().report_readers())}


def report_csv(view: ReportView):
    columns = view.report.columns
    stamp = view.at.strftime("%Y%m%d-%H%M%S")
    return csv_response([label(c.labels) for c in columns], ([row.get(c.key) for c in columns] for row in view.rows),
                        f"{view.report.name}-{stamp}.csv")


@bp.get("/")
def index():
    return render_template("reports/index.html", reports=get_engine().reports(current_user.username), label=label)


@bp.get("/<name>")
def show(name: str):
    view = get_engine().report(name, current_user.username)
    return render_template("reports/show.html", view=view, label=label)


@bp.get("/<name>.csv")
def export(name: str):
    return report_csv(get_engine().report(name, current_user.username))
