"""Failures injected while the users work: SIGKILL one web process, SIGKILL the worker process, restart
PostgreSQL (`pg_ctl restart -m fast`). Each is done once, at its share of the run, and each says what the
server did about it; what it should have done and did not is marked as a finding."""
from __future__ import annotations

import os
import signal
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from .deployment import WORKER_INTERVAL

# when each failure is injected, as a share of the run's length
WHEN = {"web": 0.25, "worker": 0.45, "database": 0.65}
WEB_RESPAWN_WITHIN = 30.0
WORKER_RESTART_WITHIN = 3 * WORKER_INTERVAL + 2


@dataclass
class Event:
    at: float        # seconds since the load began
    what: str
    outcome: str
    finding: bool = False


def plan(kinds: list[str], seconds: float, restartable: bool) -> list[tuple[float, str]]:
    return sorted((WHEN[k] * seconds, k) for k in kinds if k != "database" or restartable)


class Chaos(threading.Thread):
    def __init__(self, deployment, ledger, stop: threading.Event, schedule: list[tuple[float, str]]):
        super().__init__(name="chaos", daemon=True)
        self.deployment, self.ledger, self.stop, self.schedule = deployment, ledger, stop, schedule
        self.events: list[Event] = []
        self.failure: str | None = None

    def run(self) -> None:
        try:
            for at, kind in self.schedule:
                if self.stop.wait(max(0.0, at - self.ledger.now())):
                    return
                {"web": self.kill_web, "worker": self.kill_worker, "database": self.restart_database}[kind]()
        except Exception as exc:  # noqa: BLE001 - reported with the run's figures
            self.failure = f"{exc.__class__.__name__}: {exc}"

    def note(self, at: float, what: str, outcome: str, finding: bool = False) -> None:
        self.events.append(Event(at, what, outcome, finding))

    def kill_web(self) -> None:
        before = self.deployment.web_processes()
        if not before:
            self.note(self.ledger.now(), "kill -9 a web process", "no web process found", finding=True)
            return
        victim, at = before[0], self.ledger.now()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + WEB_RESPAWN_WITHIN
        while time.monotonic() < deadline:
            now = self.deployment.web_processes()
            fresh = [pid for pid in now if pid not in before]
            if victim not in now and len(now) >= len(before) and fresh:
                self.note(at, f"kill -9 web process {victim}",
                          f"gunicorn started web process {fresh[0]} {self.ledger.now() - at:.1f} s later")
                return
            time.sleep(0.05)
        self.note(at, f"kill -9 web process {victim}",
                  f"no new web process within {WEB_RESPAWN_WITHIN:.0f} s", finding=True)

    def kill_worker(self) -> None:
        before = self.deployment.worker_processes()
        if not before:
            self.note(self.ledger.now(), "kill -9 the worker process", "no worker process found", finding=True)
            return
        victim, at = before[0], self.ledger.now()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + WORKER_RESTART_WITHIN
        while time.monotonic() < deadline:
            fresh = [pid for pid in self.deployment.worker_processes() if pid not in before]
            if fresh:
                self.note(at, f"kill -9 worker process {victim}",
                          f"approvals serve started worker {fresh[0]} {self.ledger.now() - at:.1f} s later")
                return
            time.sleep(0.1)
        started = self.deployment.start_worker()
        self.note(at, f"kill -9 worker process {victim}",
                  f"approvals serve did not start a new worker within {WORKER_RESTART_WITHIN:.0f} s; the load "
                  f"test started `approvals worker` (pid {started}) beside the server so the run goes on",
                  finding=True)

    def restart_database(self) -> None:
        at = self.ledger.now()
        self.deployment.database.restart()
        restarted = self.ledger.now() - at
        healthy = self.healthy_after(at)
        self.note(at, "pg_ctl restart -m fast", f"PostgreSQL accepted connections again after {restarted:.1f} s; "
                  + (f"/healthz answered 200 {healthy:.1f} s after the restart began" if healthy is not None
                     else "/healthz did not answer 200 within 30 s"), finding=healthy is None)

    def healthy_after(self, since: float, within: float = 30.0) -> float | None:
        """Seconds from `since` (the run's clock) until the server's /healthz says 200; None if not within."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.deployment.port}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return self.ledger.now() - since
            except urllib.error.HTTPError as refused:  # 503 while the database is away
                refused.close()
            except OSError:
                pass
            time.sleep(0.1)
        return None
