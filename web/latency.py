"""Request latency per route, for `/metrics`.

Under `approvals serve` every gunicorn process writes its histogram to a shared directory
(prometheus-client's multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`, set up by the server before any web
process starts) and a scrape adds them up, whichever process answers. Elsewhere (`make run`, tests) the
one process's histogram is read directly. Routes are labelled by their rule (`/requests/<int:instance_id>`),
never by the raw path, so the number of series stays small.
"""
from __future__ import annotations

import os
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Histogram, multiprocess

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_histogram: Histogram | None = None


def histogram() -> Histogram:
    """Made on first use in each process: in multiprocess mode its values live in that process's files."""
    global _histogram
    if _histogram is None:
        _histogram = Histogram("approvals_request_seconds", "Time to answer a request, by route",
                               ["method", "route", "status"], buckets=BUCKETS, registry=None)
    return _histogram


def init_app(app: Flask) -> None:
    @app.before_request
    def _started() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _observed(response):
        started = g.pop("request_started", None)
        if started is not None and request.endpoint != "static":
            rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
            histogram().labels(request.method, rule, f"{response.status_code // 100}xx").observe(
                time.perf_counter() - started)
        return response


def collect_into(registry: CollectorRegistry) -> None:
    """Add the latency series to a scrape's registry."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(histogram())
