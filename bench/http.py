"""(e) the same approval over HTTP: `approvals serve` (gunicorn, its default web processes, the worker) on
a fresh SQLite file, one client with a personal access token on a keep-alive connection, calls one after
the other: start, list the queue, complete (manager), complete (general manager). The server is set up the
way `make loadtest` sets it up (loadtest/deployment.py), with the operator's own commands.

HTTP's share is measured paired: in every round the same approval also runs through an `Engine` in this
process on the same database file (same diagram, users, extensions, durability and mail setting as the server), and
the share is the HTTP completion's median minus that round's engine completion median. Comparing against
(b), measured earlier on another file, would charge HTTP for whatever the machine did in between.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from engine import Engine
from engine.storage.db import make_engine
from loadtest.databases import SqliteDatabase
from loadtest.deployment import FORMS, PROCESS, Deployment
from loadtest.users import Connection
from web.extensions import extensions

CALLS = ("start", "queue", "complete")
ROUNDS = 6
PER_ROUND = 20  # approvals per round and path (two completions each)
DATA = {"customer": "甲", "amount": 5000}


def measure(rounds: int = ROUNDS, per_round: int = PER_ROUND) -> dict[str, list[float]]:
    """Seconds per HTTP call by kind (all rounds after a warm-up one), plus per round the medians of the
    completion over HTTP (`round-http`) and in this process (`round-engine`)."""
    samples: dict[str, list[float]] = {name: [] for name in (*CALLS, "round-http", "round-engine")}
    with tempfile.TemporaryDirectory() as tmp:
        deployment = Deployment(SqliteDatabase(), Path(tmp), count=2, say=lambda *_: None)
        deployment.prepare()
        deployment.start_server()
        # the server's engine: same extensions, no SMTP_HOST so no mail
        local = Engine(make_engine(deployment.url), forms_dir=FORMS, mail=False, extensions=extensions())
        try:
            applicant, approver = deployment.users
            ask = Connection(deployment.port, deployment.tokens[applicant])
            decide = Connection(deployment.port, deployment.tokens[approver])
            for round_no in range(rounds + 1):
                keep = round_no > 0
                over_http = _over_http(ask, decide, per_round)
                in_process = _in_process(local, applicant, approver, per_round)
                if keep:
                    for name in CALLS:
                        samples[name].extend(over_http[name])
                    samples["round-http"].append(statistics.median(over_http["complete"]))
                    samples["round-engine"].append(statistics.median(in_process))
            ask.close()
            decide.close()
        finally:
            local.sa_engine.dispose()
            deployment.stop_server()
            deployment.database.stop()
    return samples


def _over_http(ask: Connection, decide: Connection, count: int) -> dict[str, list[float]]:
    took_by_call: dict[str, list[float]] = {name: [] for name in CALLS}
    for _ in range(count):
        status, _body, _wait, took = ask.send("POST", f"/api/v1/processes/{PROCESS}/instances", {"data": DATA})
        _check(status, 201, "start")
        took_by_call["start"].append(took)
        for _step in ("manager", "general manager"):
            status, tasks, _wait, took = decide.send("GET", "/api/v1/tasks?scope=queue&limit=1")
            _check(status, 200, "queue")
            took_by_call["queue"].append(took)
            status, _body, _wait, took = decide.send("POST", f"/api/v1/tasks/{tasks[0]['id']}/complete",
                                                     {"data": {"decision": "approve"}})
            _check(status, 200, "complete")
            took_by_call["complete"].append(took)
    return took_by_call


def _in_process(engine: Engine, applicant: str, approver: str, count: int) -> list[float]:
    took = []
    for _ in range(count):
        instance = engine.start(PROCESS, applicant, dict(DATA))
        for _step in ("manager", "general manager"):
            [task] = engine.open_tasks(instance.id)
            began = time.perf_counter()
            engine.complete(task.id, approver, {"decision": "approve"})
            took.append(time.perf_counter() - began)
    return took


def _check(status: int, expected: int, call: str) -> None:
    if status != expected:
        raise RuntimeError(f"{call} answered {status}, not {expected}")


def report(samples: dict[str, list[float]]) -> list[str]:
    lines = ["(e) over HTTP (approvals serve, one client, bearer token, keep-alive), min / median µs per call"]
    for name in CALLS:
        values = samples[name]
        lines.append(f"    {name:10} {min(values) * 1e6:8.0f} / {statistics.median(values) * 1e6:8.0f}")
    shares = [h - e for h, e in zip(samples["round-http"], samples["round-engine"])]
    engine_mid = statistics.median(samples["round-engine"])
    http_mid = statistics.median(samples["round-http"])
    lines.append(f"    the same completion through Engine in this process, same database: "
                 f"{min(samples['round-engine']) * 1e6:.0f} / {engine_mid * 1e6:.0f} µs")
    lines.append(f"    HTTP's share of a completion, paired per round: {min(shares) * 1e6:.0f} / "
                 f"{statistics.median(shares) * 1e6:.0f} µs (target <= 3000)")
    lines.append(f"    the completion end to end: {min(samples['round-http']) * 1e3:.2f} / {http_mid * 1e3:.2f} ms "
                 f"(goal <= 3.6 ms)")
    return lines
