"""When the worker writes an audit checkpoint: every APPROVALS_CHECKPOINT_EVERY, if the trail changed.

Each worker process keeps the time it next looks at the checkpoint file; the file itself (its newest line,
read under the writers' lock) says when the last checkpoint was written and over which root, so several
workers, or a worker restarted, write one checkpoint per interval between them, and none while nothing
was recorded.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path

from . import checkpoints
from .checkpoints import CheckpointView
from .errors import EngineError

DEFAULT_EVERY = timedelta(days=1)
log = logging.getLogger(__name__)


def interval(text: str | None = None) -> timedelta | None:
    """APPROVALS_CHECKPOINT_EVERY: seconds, or a number with s, m, h or d; 0 or off: never. Default daily."""
    text = (os.environ.get("APPROVALS_CHECKPOINT_EVERY", "") if text is None else text).strip().lower()
    if not text:
        return DEFAULT_EVERY
    if text in ("0", "off", "never", "no"):
        return None
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", text)
    if not found:
        raise ValueError(f"APPROVALS_CHECKPOINT_EVERY={text!r}: give seconds, or a number with s, m, h or d")
    value = float(found.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[found.group(2)]
    return timedelta(seconds=value) if value > 0 else None


class Schedule:
    """When this process next looks at the checkpoint file (the file itself says when one was written)."""

    def __init__(self):
        self._next: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def due(self, path: Path, now: datetime) -> bool:
        with self._lock:
            return self._next.get(str(path), now) <= now

    def done(self, path: Path, at: datetime) -> None:
        with self._lock:
            self._next[str(path)] = at

    def warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            log.warning("%s", message)


SCHEDULE = Schedule()


def write_if_due(session_factory, path: Path, now: datetime, key: bytes | None,
                 schedule: Schedule = SCHEDULE) -> CheckpointView | None:
    """The worker's round: a checkpoint when the newest is older than the interval and the trail changed
    since. Problems (a bad interval, a file that cannot be written) are logged, never raised: timers and
    mail go on."""
    try:
        every = interval()
    except ValueError as exc:
        schedule.warn_once(str(exc))
        return None
    if every is None or not schedule.due(path, now):
        return None
    try:
        with session_factory() as session:
            view = checkpoints.write(session, path, now, key, unless_unchanged_within=every)
    except EngineError as exc:
        schedule.warn_once(f"audit checkpoint not written to {path}: {exc}")
        schedule.done(path, now + min(every, timedelta(hours=1)))
        return None
    schedule.done(path, now + every if view is not None else _next_look(path, now, every))
    return view


def _next_look(path: Path, now: datetime, every: timedelta) -> datetime:
    """Nothing written: look again when the newest checkpoint is `every` old (at least a minute from now)."""
    try:
        _n, newest, _raw = checkpoints.load(path)
        return max(newest.at + every, now + timedelta(minutes=1))
    except EngineError:
        return now + every
