"""The sandbox process: scripts, expressions and templates whose cost cannot be read from their shape run
in a separate Python process, under an address-space limit, and are killed when they overrun their time.

Each engine process keeps a few idle sandbox processes (started on first use, never forked from a
process that holds database connections or threads). A request is one JSON line in, one JSON line out;
task data crosses as the workflow serializer's own typed JSON, so dates, times and decimals arrive as
they left. A sandbox process that was killed or died is replaced on the next call; nothing it did
reaches the engine except the answer it wrote.
"""
from __future__ import annotations

import atexit
import builtins
import contextvars
import json
import os
import select
import subprocess
import sys
import threading
from typing import Any

from ..clock import current_time
from ..errors import ScriptFailed
from .budget import Budget, BudgetExceeded
from . import workdays

_IDLE_MAX = 4
_START_SECONDS = 60  # a cold interpreter importing the sandbox, on a busy machine


class _Process:
    """One sandbox process and its pipes."""

    def __init__(self, memory_mb: int):
        self.memory_mb = memory_mb
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "engine.runtime.sandbox", str(memory_mb)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True)
        if self._read(_START_SECONDS) != {"ready": True}:
            self.kill()
            raise ScriptFailed("the script sandbox could not be started")

    def _read(self, seconds: float) -> dict[str, Any] | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], max(seconds, 0.0))
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {"died": True}

    def call(self, request: dict[str, Any], budget: Budget) -> dict[str, Any]:
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        answer = self._read(budget.seconds)
        if answer is None:
            self.kill()
            raise BudgetExceeded(budget.time_message(), kind="time")
        if answer.get("died"):
            self.kill()
            raise BudgetExceeded(budget.memory_message(), kind="memory")
        return answer

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            pipe.close()


class _Pool:
    """Idle sandbox processes of this engine process (a forked engine process starts its own)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.idle: list[_Process] = []
        self.pid = os.getpid()

    def take(self, budget: Budget) -> _Process:
        with self.lock:
            if self.pid != os.getpid():  # inherited from a parent process: not ours to talk to
                self.idle, self.pid = [], os.getpid()
            while self.idle:
                process = self.idle.pop()
                if process.alive() and process.memory_mb == budget.memory_mb:
                    return process
                process.kill()
        return _Process(budget.memory_mb)

    def give(self, process: _Process) -> None:
        with self.lock:
            if process.alive() and len(self.idle) < _IDLE_MAX and self.pid == os.getpid():
                self.idle.append(process)
                return
        process.kill()

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for process in idle:
            process.kill()


_POOL = _Pool()
atexit.register(_POOL.close)


def _registry():
    from ..storage.serialization import registry
    return registry()


# Set while a step runs in a unit that holds SQLite's write lock: its sandboxed code gets this many
# seconds; past them it is stopped and the step left to the worker, which runs it in a unit of its own.
LEASH: contextvars.ContextVar[float | None] = contextvars.ContextVar("sandbox_leash", default=None)
LEASH_SECONDS = 0.25


class LeftToWorker(Exception):
    """Sandboxed code outran its leash while the unit held the write lock: the worker runs the step."""


def run(op: str, source: str, data: dict[str, Any], external: dict[str, Any] | None = None,
        budget: Budget | None = None) -> Any:
    """Run `op` ("eval", "exec" or "render") in a sandbox process; returns the value (for "exec", the
    script's resulting data). A failure in the code is raised as the same kind of exception."""
    budget = budget or Budget.from_env()
    leash = LEASH.get()
    if leash is not None and leash < budget.seconds:
        try:
            return run(op, source, data, external, Budget(leash, budget.memory_mb))
        except BudgetExceeded as exc:
            if exc.kind == "time":
                raise LeftToWorker(source) from exc
            raise
    registry = _registry()
    request = {"op": op, "source": source, "data": registry.convert(data),
               "external": registry.convert(external or {}), "now": current_time().isoformat()}
    if any(name in source for name in workdays.HELPER_NAMES):  # the same calendar on both sides
        calendar = workdays.current()
        request["calendar"] = calendar.to_json()
    process = _POOL.take(budget)
    try:
        answer = process.call(request, budget)
    except BaseException:
        process.kill()
        raise
    _POOL.give(process)
    if "calendar" in request:
        calendar.beyond.update(answer.get("beyond", ()))
    if answer.get("ok"):
        return registry.restore(answer["value"])
    if answer.get("memory"):
        raise BudgetExceeded(budget.memory_message(), kind="memory")
    raise _exception(answer.get("type", ""), answer.get("error", "the script failed"))


def _exception(type_name: str, message: str) -> Exception:
    """The builtin exception the code raised (NameError, KeyError, ...), else ScriptFailed."""
    if type_name == BudgetExceeded.__name__:  # a size guard refused a value inside the sandbox process
        return BudgetExceeded(message, kind="memory")
    cls = getattr(builtins, type_name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
        try:
            return cls(message)
        except TypeError:  # e.g. UnicodeDecodeError wants five arguments
            pass
    return ScriptFailed(f"{type_name}: {message}" if type_name else message)


# -- inside the sandbox process ------------------------------------------------------------------

def _limit_memory(memory_mb: int) -> None:
    import resource

    with open("/proc/self/statm") as statm:
        base = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = base + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _answer(request: dict[str, Any], registry) -> dict[str, Any]:
    from ..clock import frozen_at, parse_iso
    from .scripting import RestrictedEnvironment
    from .templates import render_here

    data = registry.restore(request["data"])
    external = registry.restore(request["external"])
    source = request["source"]
    given = request.get("calendar")
    with frozen_at(parse_iso(request["now"])), \
            workdays.using(lambda: workdays.Calendar.from_json(given) if given else workdays.Calendar()) as calendar:
        if request["op"] == "eval":
            value = RestrictedEnvironment(isolate=False).evaluate(source, data, external)
        elif request["op"] == "exec":
            RestrictedEnvironment(isolate=False).execute(source, data, external)
            value = data
        else:
            value = render_here(source, data)
    answer = {"ok": True, "value": registry.convert(value)}
    if calendar.value is not None and calendar.value.beyond:
        answer["beyond"] = sorted(calendar.value.beyond)
    return answer


def main(memory_mb: int) -> None:
    registry = _registry()
    from . import scripting, templates  # noqa: F401 - imported before the limit is set
    try:
        _limit_memory(memory_mb)
    except (OSError, ValueError):
        pass  # no /proc or no rlimits: the time budget still holds
    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        try:
            answer = _answer(json.loads(line), registry)
            encoded = json.dumps(answer, allow_nan=False).encode()
        except MemoryError:
            answer, encoded = None, b'{"ok": false, "memory": true}'
        except Exception as exc:  # noqa: BLE001 - every failure is the script's, reported to the engine
            encoded = json.dumps({"ok": False, "type": type(exc).__name__, "error": str(exc)[:2000]}).encode()
        out.write(encoded + b"\n")
        out.flush()


if __name__ == "__main__":
    main(int(sys.argv[1]))

