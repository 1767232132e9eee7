"""(e) the same approval over HTTP: `approvals serve` (gunicorn, its default web processes, the worker) on
a fresh SQLite file, one client with a personal access token on a keep-alive connection, calls one after
the other: start, list the queue, complete (manager), complete (general manager). The server is set up the
way `make loadtest` sets it up (loadtest/deployment.py), with the operator's own commands.
"""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from loadtest.databases import SqliteDatabase
from loadtest.deployment import PROCESS, Deployment
from loadtest.users import Connection

CALLS = ("start", "queue", "complete")


def measure(rounds: int = 60) -> dict[str, list[float]]:
    """Seconds per call, by kind, after a warm-up."""
    samples: dict[str, list[float]] = {name: [] for name in CALLS}
    with tempfile.TemporaryDirectory() as tmp:
        deployment = Deployment(SqliteDatabase(), Path(tmp), count=2, say=lambda *_: None)
        deployment.prepare()
        deployment.start_server()
        try:
            applicant, approver = deployment.users
            ask = Connection(deployment.port, deployment.tokens[applicant])
            decide = Connection(deployment.port, deployment.tokens[approver])
            for round_no in range(rounds + 10):
                keep = round_no >= 10
                status, _body, _wait, took = ask.send("POST", f"/api/v1/processes/{PROCESS}/instances",
                                                      {"data": {"customer": "甲", "amount": 5000}})
                _check(status, 201, "start")
                if keep:
                    samples["start"].append(took)
                for _step in ("manager", "general manager"):
                    status, tasks, _wait, took = decide.send("GET", "/api/v1/tasks?scope=queue&limit=1")
                    _check(status, 200, "queue")
                    if keep:
                        samples["queue"].append(took)
                    status, _body, _wait, took = decide.send("POST", f"/api/v1/tasks/{tasks[0]['id']}/complete",
                                                             {"data": {"decision": "approve"}})
                    _check(status, 200, "complete")
                    if keep:
                        samples["complete"].append(took)
            ask.close()
            decide.close()
        finally:
            deployment.stop_server()
            deployment.database.stop()
    return samples


def _check(status: int, expected: int, call: str) -> None:
    if status != expected:
        raise RuntimeError(f"{call} answered {status}, not {expected}")


def report(samples: dict[str, list[float]], engine_complete: float) -> list[str]:
    lines = ["(e) over HTTP (approvals serve, one client, bearer token, keep-alive), min / median µs per call"]
    for name in CALLS:
        values = samples[name]
        lines.append(f"    {name:10} {min(values) * 1e6:8.0f} / {statistics.median(values) * 1e6:8.0f}")
    http_complete = statistics.median(samples["complete"])
    lines.append(f"    HTTP's share of a completion: {(http_complete - engine_complete) * 1e6:.0f} µs "
                 f"(target <= 3000; the completion end to end: {http_complete * 1e3:.2f} ms, goal <= 3.6 ms)")
    return lines
