"""Commands that do not open the engine start fast: no SpiffWorkflow, SQLAlchemy, Flask or gunicorn."""
from __future__ import annotations

import subprocess
import sys

HEAVY = ("SpiffWorkflow", "sqlalchemy", "flask", "gunicorn", "procedures.company")


def test_help_imports_nothing_heavy():
    probe = ("import sys, web.cli\n"
             "try:\n    web.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
             f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "serve" in out and "token" in out and "demo" in out  # every command is listed
    assert out.strip().splitlines()[-1] == "[]"


def test_the_public_names_still_import():
    import engine
    import procedures
    from web import create_app

    assert engine.Engine.__name__ == "Engine" and callable(engine.render_template) and callable(create_app)
    assert procedures.COMPANY.name == "procedures" and "tour_approval" in procedures.PROCESSES
    assert set(engine.__all__) <= set(dir(engine))
