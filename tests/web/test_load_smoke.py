"""`make loadtest` in small: five users for eight seconds against `approvals serve` on SQLite, one web process
killed with SIGKILL midway. Nothing the server acknowledged may be lost, and the database must check out."""
from __future__ import annotations

from loadtest.figures import report
from loadtest.run import run_backend


def test_a_short_load_with_a_web_process_killed_loses_no_acknowledged_completion():
    result = run_backend("sqlite", users=5, seconds=8, chaos=["web"], say=lambda _text: None)
    figures = report(result)
    assert result.failure is None, figures
    assert len(result.ledger.completions) > 20 and result.lost == 0, figures
    assert result.ledger.errors == [], figures
    assert result.consistency is not None and result.consistency.ok, figures
    [kill] = result.events
    assert kill.what.startswith("kill -9 web process") and not kill.finding, figures
