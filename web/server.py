"""The production web server: gunicorn with several worker processes, and the worker beside it.

`approvals serve` runs this; the timer/mail worker runs in a process of its own (several web processes
must not each fire timers), unless `--no-timers` says a separate `approvals worker` is run instead.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import time
from typing import Any

from gunicorn.app.base import BaseApplication

from engine import cli as engine_cli


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
    """Fire due timers and send mail until stopped; failures are printed and the loop goes on."""
    from .engine_access import EXTENSIONS
    engine_cli.EXTENSIONS = EXTENSIONS  # a new process: registered again, as the command line does
    eng = engine_cli.engine_from_env()
    while True:
        try:
            engine_cli.work_once(eng)
        except Exception as exc:  # noqa: BLE001 - keep the loop alive, say what happened
            print(f"worker: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        time.sleep(interval)


def serve(host: str, port: int, workers: int, threads: int, timers: bool, interval: float) -> None:
    worker = None
    if timers:
        worker = multiprocessing.get_context("spawn").Process(
            target=worker_loop, args=(interval,), name="approvals-worker", daemon=True)
        worker.start()
    try:
        WebServer({"bind": f"{host}:{port}", "workers": workers, "threads": threads, "timeout": 60,
                   "graceful_timeout": 20, "accesslog": "-", "errorlog": "-", "preload_app": False}).run()
    finally:
        if worker is not None and worker.is_alive():
            worker.terminate()
            worker.join(5)


def default_workers() -> int:
    return int(os.environ.get("WEB_WORKERS") or max(2, min(4, (os.cpu_count() or 1) + 1)))
