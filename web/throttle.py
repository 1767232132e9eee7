"""Slows down password guessing: failed sign-ins per (user name, address) lead to growing lockouts.

The counts live in the database (engine `sign_in_*` verbs), so every web process and every restart sees
the same lockouts; this class only carries the app's settings.
"""
from __future__ import annotations

from .engine_access import get_engine


class LoginThrottle:
    """After `free` failures each further failure locks the key for base * 2^k seconds (up to `cap`)."""

    def __init__(self, free: int = 5, base: float = 30, cap: float = 900):
        self.free, self.base, self.cap = free, base, cap

    @staticmethod
    def key(username: str, address: str | None) -> tuple[str, str]:
        return (username, address or "")

    def retry_after(self, key: tuple[str, str]) -> int:
        """Seconds until this key may try again; 0 when it may try now."""
        return get_engine().sign_in_wait(*key)

    def failed(self, key: tuple[str, str]) -> int:
        """Count one failure; returns the lockout (seconds) it starts, 0 while failures are free."""
        return get_engine().sign_in_failed(*key, free=self.free, base=self.base, cap=self.cap)

    def succeeded(self, key: tuple[str, str]) -> None:
        get_engine().sign_in_succeeded(*key)
