"""Slows down password guessing, in the database: every web process and every restart sees the same
lockouts. After `free` failures of one user name from one address, each further failure locks that pair
for base * 2^k seconds (at most `cap`); a success clears it."""
from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, select

from .storage.models import SignInFailure


def sign_in_key(username: str, address: str | None) -> str:
    return f"{username.strip().lower()}|{address or ''}"[:300]


class SignInVerbs:
    """Mixed into Engine; relies on its `_unit`, `session`, `now` and `locking`."""

    def sign_in_wait(self, username: str, address: str | None) -> int:
        """Seconds until this user name may try again from this address; 0 when it may try now."""
        with self.session() as s:
            row = s.get(SignInFailure, sign_in_key(username, address))
            if row is None or row.locked_until is None:
                return 0
            return max(0, math.ceil((row.locked_until - self.now()).total_seconds()))

    def sign_in_failed(self, username: str, address: str | None, free: int = 5, base: float = 30,
                       cap: float = 900) -> int:
        """Count one failure; returns the lockout (seconds) it starts, 0 while failures are free."""
        key = sign_in_key(username, address)

        def work(unit) -> int:
            stmt = select(SignInFailure).where(SignInFailure.key == key)
            if self.locking:
                stmt = stmt.with_for_update()
            row = unit.session.scalars(stmt).first()
            if row is None:
                # pairs idle for twice the longest lockout start afresh: the table stays small
                unit.session.execute(delete(SignInFailure).where(
                    SignInFailure.last_seen < unit.now - timedelta(seconds=2 * cap)))
                row = SignInFailure(key=key, failures=0)
                unit.session.add(row)
            row.failures += 1
            row.last_seen = unit.now
            over = row.failures - free
            if over <= 0:
                return 0
            seconds = min(cap, base * 2 ** (over - 1))
            row.locked_until = unit.now + timedelta(seconds=seconds)
            return math.ceil(seconds)
        return self._unit("system", work)

    def sign_in_succeeded(self, username: str, address: str | None) -> None:
        key = sign_in_key(username, address)
        self._unit("system", lambda unit: unit.session.execute(delete(SignInFailure).where(SignInFailure.key == key)))
