"""(g) completions per second over HTTP with 1, 2 and 4 web processes on PostgreSQL.

`approvals serve` on a throwaway PostgreSQL server (as `make loadtest` sets it up), restarted with
WEB_WORKERS = 1, 2, 4; CLIENTS client threads, each with an applicant and an approver of its own (no two
clients touch the same request), loop start -> read the request's open task -> complete, twice. Counted:
completions answered 200 within the window, after a warm-up. On a machine with fewer cores than processes
the figure cannot scale past the cores (the report prints the core count beside it).
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from loadtest.databases import PostgresDatabase
from loadtest.deployment import PROCESS, Deployment
from loadtest.users import Connection

PROCESSES = (1, 2, 4)
CLIENTS = 8
WARM_UP = 3.0
WINDOW = 12.0


def _client(port: int, applicant: str, approver: str, stop: threading.Event, counted: list[float],
            errors: list[str]) -> None:
    ask, decide = Connection(port, applicant), Connection(port, approver)
    try:
        while not stop.is_set():
            status, body, _wait, _took = ask.send("POST", f"/api/v1/processes/{PROCESS}/instances",
                                                  {"data": {"customer": "甲", "amount": 5000}})
            if status != 201:
                errors.append(f"start answered {status}")
                return
            for _step in ("manager", "general manager"):
                status, found, _wait, _took = decide.send("GET", f"/api/v1/instances/{body['id']}")
                if status != 200 or not found["open_tasks"]:
                    errors.append(f"reading instance {body['id']} answered {status}")
                    return
                status, _done, _wait, _took = decide.send(
                    "POST", f"/api/v1/tasks/{found['open_tasks'][0]['id']}/complete", {"data": {"decision": "approve"}})
                if status != 200:
                    errors.append(f"complete answered {status}")
                    return
                counted.append(time.monotonic())
    finally:
        ask.close()
        decide.close()


def _rate(deployment: Deployment) -> float:
    stop, counted, errors = threading.Event(), [], []
    tokens = deployment.tokens
    users = deployment.users
    threads = [threading.Thread(target=_client, args=(deployment.port, tokens[users[2 * i]], tokens[users[2 * i + 1]],
                                                      stop, counted, errors), daemon=True)
               for i in range(CLIENTS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(WARM_UP + WINDOW)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise RuntimeError(f"throughput run failed: {errors[0]}")
    window = [t for t in counted if began + WARM_UP <= t < began + WARM_UP + WINDOW]
    return len(window) / WINDOW


def measure() -> dict[int, float] | None:
    """Completions per second by web process count; None when no PostgreSQL server can be started here."""
    database = PostgresDatabase()
    if not database.available:
        return None
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        deployment = Deployment(database, Path(tmp), count=2 * CLIENTS, say=lambda *_: None)
        deployment.prepare()
        try:
            for processes in PROCESSES:
                deployment.env["WEB_WORKERS"] = str(processes)
                deployment.start_server()
                try:
                    rates[processes] = _rate(deployment)
                finally:
                    deployment.stop_server()
        finally:
            database.stop()
    return rates


def report(rates: dict[int, float] | None) -> list[str]:
    if rates is None:
        return ["(g) completions/s by web processes: no PostgreSQL server could be started here"]
    one = rates[PROCESSES[0]]
    figures = ", ".join(f"{n} process{'es' if n > 1 else ''}: {rate:.0f}/s ({rate / one:.2f}x)"
                        for n, rate in rates.items())
    return [f"(g) completions/s over HTTP on PostgreSQL, {CLIENTS} clients: {figures}",
            f"    on {os.cpu_count()} cores: past that many processes the clients, the server and PostgreSQL "
            "share the same cores, and the ratio cannot hold"]
