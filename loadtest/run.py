"""One load test on one database: set up, serve, run the users and the chaos, stop, check."""
from __future__ import annotations

import os
import resource
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .chaos import Chaos, Event, plan
from .consistency import Consistency, check
from .databases import database as make_database
from .deployment import Deployment
from .users import RETRY_FOR, TIMEOUT, Board, Ledger, VirtualUser


@dataclass
class Result:
    backend: str
    users: int
    seconds: float
    web_processes: int = 0
    ledger: Ledger = field(default_factory=Ledger)
    events: list[Event] = field(default_factory=list)
    consistency: Consistency | None = None
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    client_cpu: float = 0.0          # CPU seconds the load generator itself used
    server_cpu: float = 0.0          # CPU seconds of `approvals serve` and its processes during the load
    machine_busy: float = 0.0        # share of the machine's CPU time busy during the load (anyone's work)
    failure: str | None = None       # the run could not be made or finished: set-up, chaos, stuck users

    @property
    def lost(self) -> int:
        return self.consistency.lost if self.consistency else 0

    @property
    def ok(self) -> bool:
        return (self.failure is None and not self.ledger.errors and self.consistency is not None
                and self.consistency.ok and self.lost == 0)


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (every process, not only ours)."""
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - idle) / ticks, sum(fields[:8]) / ticks


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_backend(name: str, users: int, seconds: float, chaos: list[str], say=print) -> Result:
    database = make_database(name)
    result = Result(database.name, users, seconds)
    if not database.available:
        result.failure = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
        return result
    with tempfile.TemporaryDirectory(prefix="approvals-loadtest-") as folder:
        deployment = Deployment(database, Path(folder), users, say)
        try:
            deployment.prepare()
            deployment.start_server()
            result.web_processes = len(deployment.web_processes())
            load(deployment, result, chaos, say)
            deployment.stop_server()
            say("  checking the database ...")
            result.consistency = check(deployment, result.ledger)
        except Exception as exc:  # noqa: BLE001 - the run reports it and fails
            result.failure = f"{exc.__class__.__name__}: {exc}"
            tail = deployment.log_tail()
            if tail:
                result.failure += "\n  last lines of the server's log:\n    " + tail.replace("\n", "\n    ")
        finally:
            deployment.stop_server()
            database.stop()
    return result


def load(deployment: Deployment, result: Result, chaos_kinds: list[str], say) -> None:
    stop = threading.Event()
    board = Board(deployment.users)
    ledger = result.ledger = Ledger()
    team = [VirtualUser(u, deployment.tokens[u], deployment.port, board, ledger, stop) for u in deployment.users]
    chaos = Chaos(deployment, ledger, stop, plan(chaos_kinds, result.seconds, deployment.database.restartable))
    say(f"  {len(team)} users for {result.seconds:.0f} s against {result.web_processes} web processes ...")
    result.load_before = os.getloadavg()
    cpu, server_cpu, machine = cpu_seconds(), deployment.cpu_seconds(), machine_busy()
    ledger.began = time.monotonic()
    for user in team:
        user.start()
    chaos.start()
    stop.wait(result.seconds)
    stop.set()
    # a user finishes the call it is in (retries included), so every completion ends acknowledged or not
    for user in team:
        user.join(RETRY_FOR + TIMEOUT + 10)
    ledger.ended = time.monotonic()
    chaos.join(120)
    result.client_cpu = cpu_seconds() - cpu
    result.server_cpu = deployment.cpu_seconds() - server_cpu
    busy, total = (after - before for after, before in zip(machine_busy(), machine))
    result.machine_busy = busy / total if total else 0.0
    result.load_after = os.getloadavg()
    result.events = chaos.events
    stuck = [u.user for u in team if u.is_alive()]
    if stuck:
        raise RuntimeError(f"users still waiting for an answer after the run: {', '.join(stuck)}")
    if chaos.failure:
        raise RuntimeError(f"the chaos could not be injected: {chaos.failure}")
