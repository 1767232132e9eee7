"""SQLite commits are durable by default: confirmed approvals survive a power cut."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from engine.storage.db import make_engine


@pytest.mark.parametrize("setting, expected", [(None, 2), ("NORMAL", 1), ("full", 2)])
def test_sqlite_synchronous_is_full_unless_told(monkeypatch, tmp_path, setting, expected):
    if setting is None:
        monkeypatch.delenv("APPROVALS_SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("APPROVALS_SQLITE_SYNCHRONOUS", setting)
    sa = make_engine(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    with sa.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == expected
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    sa.dispose()


def test_a_mistyped_setting_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("APPROVALS_SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(ValueError, match="APPROVALS_SQLITE_SYNCHRONOUS"):
        make_engine(f"sqlite:///{tmp_path / 'd.sqlite3'}")
