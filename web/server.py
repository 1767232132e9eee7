"""The production web server: gunicorn with several worker processes, and the worker beside it.

`approvals serve` runs this; the timer/mail worker runs in a process of its own (several web processes
must not each fire timers), unless `--no-timers` says a separate `approvals worker` is run instead.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from engine import cli as engine_cli
from engine import operations_cli


class WebServer(BaseApplication):
    """gunicorn, configured from code, serving `create_app()` (each worker process builds its own app)."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app
        return create_app()


def worker_loop(interval: float) -> None:
    """Fire due timers, send mail and write audit checkpoints when due, until stopped; failures are printed
    and the loop goes on."""
    from .extensions import extensions
    engine_cli.EXTENSIONS = extensions  # a new process: registered again, as the command line does
    eng = engine_cli.engine_from_env()
    while True:
        try:
            operations_cli.work_once(eng)
        except Exception as exc:  # noqa: BLE001 - keep the loop alive, say what happened
            print(f"worker: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        time.sleep(interval)


def _metrics_directory() -> None:
    """Where each web process keeps its latency figures for /metrics to add up (see web/latency.py): set
    before any web process starts, emptied of a previous run's figures."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="approvals-metrics-")


def _web_process_exited(_server, worker) -> None:
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


class WorkerSupervisor:
    """The timer/mail worker as a plain child process (not multiprocessing: the web processes gunicorn forks
    later must not inherit it as their own child), started again within a second whenever it dies."""

    def __init__(self, interval: float):
        self.command = [sys.executable, "-m", "web.server", "--worker-loop", str(interval)]
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.restarts = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.command)  # noqa: S603 - our own interpreter and module
        threading.Thread(target=self._watch, name="approvals-worker-watch", daemon=True).start()

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            if self.process is not None and self.process.poll() is not None:
                print(f"worker exited with {self.process.returncode}; starting it again", file=sys.stderr)
                self.restarts += 1
                self.process = subprocess.Popen(self.command)  # noqa: S603

    def stop(self) -> None:
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def serve(host: str, port: int, workers: int, threads: int, timers: bool, interval: float) -> None:
    _metrics_directory()
    supervisor = WorkerSupervisor(interval) if timers else None
    if supervisor is not None:
        supervisor.start()
    try:
        WebServer({"bind": f"{host}:{port}", "workers": workers, "threads": threads, "timeout": 60,
                   "graceful_timeout": 20, "accesslog": "-", "errorlog": "-", "preload_app": False,
                   "child_exit": _web_process_exited}).run()
    finally:
        if supervisor is not None:
            supervisor.stop()



if __name__ == "__main__" and sys.argv[1:2] == ["--worker-loop"]:
    worker_loop(float(sys.argv[2]))
