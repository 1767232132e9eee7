"""An engine that forgets everything between calls, as a server restart or a second worker would.

Every method call goes to a new `Engine` on the same database: nothing parsed, cached or wired in one
call's memory is there for the next one. Tests that walk a process with it prove the state in the
database is the whole state.
"""
from __future__ import annotations

from engine import Engine


class RestartingEngine:
    """Looks like an Engine; each method call runs on a brand-new one."""

    def __init__(self, sa_engine, **kwargs):
        self._sa_engine = sa_engine
        self._kwargs = kwargs
        self.calls = 0

    def fresh(self) -> Engine:
        self.calls += 1
        return Engine(self._sa_engine, **self._kwargs)

    def __getattr__(self, name):
        value = getattr(Engine(self._sa_engine, **self._kwargs), name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            return getattr(self.fresh(), name)(*args, **kwargs)
        return call
