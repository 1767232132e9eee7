"""Slows down password guessing: failed sign-ins per (username, address) lead to growing lockouts."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last_seen: float = 0.0


class LoginThrottle:
    """After `free` failures each further failure locks the key for base * 2^k seconds (up to `cap`).

    Kept in memory: per process, forgotten on restart; good enough to turn a quick password guesser
    into a slow one. A success clears the key.
    """

    def __init__(self, free: int = 5, base: float = 30, cap: float = 900,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 10000):
        self.free, self.base, self.cap, self.clock, self.max_keys = free, base, cap, clock, max_keys
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(username: str, address: str | None) -> tuple[str, str]:
        return (username.strip().lower(), address or "")

    def retry_after(self, key: tuple[str, str]) -> int:
        """Seconds until this key may try again; 0 when it may try now."""
        with self._lock:
            record = self._records.get(key)
            if record is None:
                return 0
            return max(0, math.ceil(record.locked_until - self.clock()))

    def failed(self, key: tuple[str, str]) -> int:
        """Count one failure; returns the lockout (seconds) it starts, 0 while failures are free."""
        now = self.clock()
        with self._lock:
            self._forget_stale(now)
            record = self._records.setdefault(key, _Record())
            record.failures += 1
            record.last_seen = now
            over = record.failures - self.free
            if over <= 0:
                return 0
            seconds = min(self.cap, self.base * 2 ** (over - 1))
            record.locked_until = now + seconds
            return math.ceil(seconds)

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._records.pop(key, None)

    def _forget_stale(self, now: float) -> None:
        # Keys idle for twice the longest lockout start afresh; the table never grows without bound.
        if len(self._records) < self.max_keys:
            return
        horizon = now - 2 * self.cap
        for key in [k for k, r in self._records.items() if r.last_seen < horizon and r.locked_until < now]:
            del self._records[key]
        while len(self._records) >= self.max_keys:
            oldest = min(self._records, key=lambda k: self._records[k].last_seen)
            del self._records[oldest]
