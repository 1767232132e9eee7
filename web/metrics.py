"""`/metrics` for Prometheus: the figures an operator graphs, read from the database at each scrape.

Every figure of the requests and tasks comes from the database, so it is the same whichever web process
answers. Request latency per route is measured in each web process and added up across them (latency.py).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from . import latency
from .engine_access import get_engine

bp = Blueprint("metrics", __name__)
STATUSES = ("running", "error", "completed", "cancelled")


class _Figures:
    def __init__(self, figures: dict):
        self.figures = figures

    def collect(self):
        f = self.figures
        instances = GaugeMetricFamily("approvals_instances", "Requests by status", labels=["status"])
        for status in STATUSES:
            instances.add_metric([status], f["instances"].get(status, 0))
        yield instances
        yield GaugeMetricFamily("approvals_open_tasks", "Tasks waiting for a person", value=f["open_tasks"])
        yield CounterMetricFamily("approvals_completions", "Tasks completed by people, ever",
                                  value=f["completions"])
        yield CounterMetricFamily("approvals_step_errors", "Steps that stopped a request with an error, ever",
                                  value=f["step_errors"])
        yield GaugeMetricFamily("approvals_timer_lag_seconds", "How long the most overdue timer has waited",
                                value=f["timer_lag_seconds"])
        yield GaugeMetricFamily("approvals_outbox_backlog", "Mail waiting to be sent", value=f["outbox_backlog"])


@bp.get("/metrics")
def metrics():
    allowed = current_app.config.get("METRICS_ALLOW")  # addresses that may scrape; unset: loopback only
    if request.remote_addr not in (allowed or ("127.0.0.1", "::1")):
        abort(404)
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_Figures(get_engine().operational_figures()))
    latency.collect_into(registry)
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
